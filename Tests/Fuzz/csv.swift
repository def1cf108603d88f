// libFuzzer target: CSV record splitting and decoding (see README.md).

let csvInputs = [
  InputRow(index: 0, name: "x", element: .float64, rowShape: [2]),
  InputRow(index: 1, name: "s", element: .string, rowShape: [1]),
]
let csvDecoder = CSVRecordDecoder(inputs: csvInputs, columns: [[0, 2], [1]], fieldCount: 3)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  let chunk = Int(data[0] % 13) + 1
  let stream = UnsafeBufferPointer(start: data + 1, count: size - 1)
  var splitter = RecordSplitter(syntax: .csv, maxRecordBytes: 64)
  var buffer = InputBuffer(capacity: 8)
  var payload: [UInt8] = []
  var spans: [RecordSpan] = []
  var offset = 0
  while offset < stream.count {
    let end = min(offset + chunk, stream.count)
    buffer.write(stream[offset..<end])
    offset = end
    while let span = splitter.next(&buffer, seenEOF: false, into: &payload) { spans.append(span) }
  }
  while let span = splitter.next(&buffer, seenEOF: true, into: &payload) { spans.append(span) }
  precondition(payload.count <= stream.count, "records hold more bytes than the input")
  payload.withUnsafeBytes { raw in
    for span in spans {
      let record = UnsafeRawBufferPointer(rebasing: raw[span.range])
      var columns = csvInputs.map { Column($0, rowCapacity: 1) }
      do {
        try csvDecoder.decode(record, into: &columns)
      } catch {
        precondition(columns.allSatisfy { $0.count == 0 }, "a rejected record left values behind")
      }
    }
  }
  return 0
}
