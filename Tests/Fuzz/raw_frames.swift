// libFuzzer target: raw frame decoding and payload layout (see README.md).

let rawSignature = ModelSignature(
  inputs: [
    TensorSpec(name: "s", kind: .tensor(.string, [.symbolic("N"), .fixed(2)])),
    TensorSpec(name: "x", kind: .tensor(.float32, [.symbolic("N"), .fixed(3)])),
    TensorSpec(name: "k", kind: .tensor(.int8, [.symbolic("N")])),
  ],
  outputs: [TensorSpec(name: "y", kind: .tensor(.float32, [.symbolic("N")]))])
let numericSignature = ModelSignature(
  inputs: [
    TensorSpec(name: "k", kind: .tensor(.int8, [.symbolic("N")])),
    TensorSpec(name: "x", kind: .tensor(.float64, [.symbolic("N"), .fixed(2)])),
  ],
  outputs: [TensorSpec(name: "y", kind: .tensor(.float32, [.symbolic("N")]))])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRawFrames(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  let chunk = Int(data[0] % 17) + 1
  let stream = UnsafeBufferPointer(start: data + 1, count: size - 1)
  var decoder = LengthPrefixedFrameDecoder(maxPayloadBytes: 1 << 16)
  var buffer = InputBuffer(capacity: 16)
  var frames: [Frame] = []
  var offset = 0
  do {
    while offset < stream.count {
      let end = min(offset + chunk, stream.count)
      buffer.write(stream[offset..<end])
      offset = end
      while let frame = try decoder.decode(&buffer) { frames.append(frame) }
    }
    while let frame = try decoder.decodeLast(&buffer, seenEOF: true) { frames.append(frame) }
  } catch {}
  precondition(frames.reduce(0) { $0 + 4 + $1.payload.count } <= stream.count, "decoded more than was read")
  let formats = [try! RawFormat(signature: rawSignature), try! RawFormat(signature: numericSignature)]
  for frame in frames {
    for format in formats {
      _ = try? frame.payload.withUnsafeBytes { payload in
        try format.withInputTensors(payload: payload) { tensors, rows -> Int in
          for tensor in tensors {
            precondition(tensor.shape.first == rows, "tensor rows \(tensor.shape) for \(rows) rows")
            if case .bytes(let bytes) = tensor.contents {
              precondition(bytes.count == tensor.shape.reduce(1, *) * tensor.element.byteWidth!, "block size")
            }
          }
          return rows
        }
      }
    }
  }
  return 0
}
