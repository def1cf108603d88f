// libFuzzer target: an Arrow IPC stream through the decoder, the schema
// reader, the dictionary tracker, the column readers (views, list views and
// dictionaries too) and the Arrow and NDJSON writers (see README.md).

/// Scores every row as zeros; reads every input byte so ASan sees any over-read.
struct FuzzEngine: InferenceEngine {
  let signature: ModelSignature

  func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    var checksum: UInt8 = 0
    for tensor in inputs {
      switch tensor.contents {
      case .bytes(let bytes):
        precondition(bytes.count == tensor.shape.reduce(1, *) * tensor.element.byteWidth!, "tensor size")
        for byte in bytes { checksum &+= byte }
      case .strings(let strings):
        precondition(strings.count == tensor.shape.reduce(1, *), "string tensor size")
      }
    }
    let rows = inputs[0].shape[0]
    return [
      OutputTensor(
        element: .float32, shape: [rows, 2], contents: .bytes([UInt8](repeating: checksum, count: rows * 8)))
    ]
  }
}

let arrowSignatures = [
  ModelSignature(
    inputs: [TensorSpec(name: "X", kind: .tensor(.float32, [.symbolic("N"), .fixed(4)]))],
    outputs: [TensorSpec(name: "y", kind: .tensor(.float32, [.symbolic("N"), .fixed(2)]))]),
  ModelSignature(
    inputs: [
      TensorSpec(name: "s", kind: .tensor(.string, [.symbolic("N"), .fixed(1)])),
      TensorSpec(name: "k", kind: .tensor(.int64, [.symbolic("N")])),
    ],
    outputs: [TensorSpec(name: "y", kind: .tensor(.float32, [.symbolic("N"), .fixed(2)]))]),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArrow(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  let chunk = Int(data[0] % 61) + 1
  let stream = UnsafeBufferPointer(start: data + 1, count: size - 1)
  var decoder = ArrowStreamDecoder(maxMessageBytes: 1 << 16)
  var buffer = InputBuffer(capacity: 16)
  var messages: [ArrowStreamMessage] = []
  var offset = 0
  do {
    while offset < stream.count && !decoder.sawEndMarker {
      let end = min(offset + chunk, stream.count)
      buffer.write(stream[offset..<end])
      offset = end
      while let message = try decoder.decode(&buffer) { messages.append(message) }
    }
    while let message = try decoder.decodeLast(&buffer) { messages.append(message) }
  } catch {}
  precondition(messages.reduce(0) { $0 + 4 + $1.bytes.count } <= stream.count, "decoded more than was read")
  guard case .schema(let schema)? = messages.first?.message else { return 0 }
  for signature in arrowSignatures {
    for (output, keep, onError) in [
      ("arrow", true, OnErrorPolicy.null), ("ndjson", false, .skip), ("arrow", false, .fail),
    ] {
      guard
        let (processor, _) = try? ArrowFormat.processor(
          schema: schema, engine: FuzzEngine(signature: signature), output: output,
          mapping: InputMapping(),
          keep: keep, onError: onError, modelName: "fuzz.onnx", stats: nil)
      else { continue }
      // Dictionary batches as the source takes them: each record batch gets the dictionaries as they stand.
      var dictionaries = ArrowDictionaryTracker(schema: schema)
      for message in messages.dropFirst() {
        if case .dictionaryBatch = message.message { try? dictionaries.add(message) }
        guard case .recordBatch = message.message else { continue }
        var batch = Batch(
          origin: BatchOrigin(unit: .batch, number: 1, byteOffset: 0), payload: message.bytes,
          bodyOffset: message.bodyOffset)
        batch.arrowDictionaries = dictionaries.take()
        _ = try? processor.process(batch)
      }
    }
  }
  return 0
}
