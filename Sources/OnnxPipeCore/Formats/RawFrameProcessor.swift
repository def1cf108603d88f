/// Scores one raw frame: payload -> input tensors -> engine -> output frame.
public struct RawFrameProcessor: BatchProcessor {
  public let format: RawFormat
  public let engine: any InferenceEngine
  private let outputIndices: [Int]

  public init(format: RawFormat, engine: any InferenceEngine) {
    self.format = format
    self.engine = engine
    outputIndices = format.outputs.map(\.index)
  }

  public func process(_ batch: Batch) throws(PipeError) -> ScoredBatch {
    do {
      return try batch.payload.withUnsafeBytes { payload in
        try format.withInputTensors(payload: payload) { tensors, rows in
          var frame: [UInt8] = []
          if rows == 0 {
            // ONNX Runtime handles empty batches, but some models' ops do not: skip Run.
            try format.appendFrame(outputs: emptyOutputs(), rows: 0, to: &frame)
          } else {
            let outputs = try engine.run(tensors, outputs: outputIndices)
            try format.appendFrame(outputs: outputs, rows: rows, to: &frame)
          }
          return ScoredBatch(bytes: frame, rows: rows)
        }
      }
    } catch let error as PipeError {
      throw PipeError(error.kind, "\(batch.origin): \(error.message)")
    } catch {
      let message = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
      throw PipeError(.data, "\(batch.origin): model run failed: \(message)")
    }
  }

  private func emptyOutputs() -> [OutputTensor] {
    format.outputs.map { slot in
      OutputTensor(
        element: slot.element, shape: [0] + slot.rowShape,
        contents: slot.element == .string ? .strings([]) : .bytes([]))
    }
  }
}
