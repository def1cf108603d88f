// libFuzzer target: one NDJSON record through the decoder (see README.md).

let ndjsonInputs = [
  InputRow(index: 0, name: "x", element: .float32, rowShape: [3]),
  InputRow(index: 1, name: "s", element: .string, rowShape: [1]),
  InputRow(index: 2, name: "b", element: .bool, rowShape: []),
  InputRow(index: 3, name: "g", element: .int32, rowShape: [2, 2]),
]
let ndjsonDecoder = NDJSONRecordDecoder(inputs: ndjsonInputs, fields: ["x": "a.x", "g": "grid"])
let bareDecoder = NDJSONRecordDecoder(inputs: [ndjsonInputs[0]], fields: [:])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNDJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let record = UnsafeRawBufferPointer(start: data, count: size)
  for decoder in [ndjsonDecoder, bareDecoder] {
    var columns = decoder.inputs.map { Column($0, rowCapacity: 1) }
    do {
      try decoder.decode(record, into: &columns)
      for column in columns {
        precondition(column.count == column.input.rowElements, "a decoded row has the wrong size")
      }
    } catch {
      precondition(columns.allSatisfy { $0.count == 0 }, "a rejected record left values behind")
    }
  }
  var scanner = JSONScanner(record)
  _ = try? scanner.skipValue()
  return 0
}
