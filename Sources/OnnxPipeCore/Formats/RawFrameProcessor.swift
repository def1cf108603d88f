/// Scores raw frames: payload -> input tensors -> engine -> output frame.
///
/// Also scores what `AdaptiveFrameSource` makes of them: several frames merged
/// into one run (their outputs cut back into one frame each), and slices of a
/// large frame (their outputs joined into one frame by `join`).
public struct RawFrameProcessor: BatchProcessor {
  public let format: RawFormat
  public let engine: any InferenceEngine
  /// Told how long each run took while it is still choosing the batch size.
  public let tuner: BatchSizeTuner?
  private let outputIndices: [Int]

  public init(format: RawFormat, engine: any InferenceEngine, tuner: BatchSizeTuner? = nil) {
    self.format = format
    self.engine = engine
    self.tuner = tuner
    outputIndices = format.outputs.map(\.index)
  }

  public func process(_ batch: Batch) throws(PipeError) -> ScoredBatch {
    guard let tuner, !tuner.isSettled else { return try score(batch) }
    let rows = batch.slice?.rows.count ?? batch.payload.count / max(format.inputRowBytes ?? 1, 1)
    guard let run = tuner.begin(rows: rows) else { return try score(batch) }
    let scored: ScoredBatch
    do { scored = try score(batch) } catch {
      tuner.end(run, failed: true)
      throw error
    }
    tuner.end(run, failed: scored.failure != nil)
    return scored
  }

  private func score(_ batch: Batch) throws(PipeError) -> ScoredBatch {
    if !batch.frames.isEmpty { return processMerged(batch) }
    return try withFrameErrors(batch.origin) {
      try batch.payload.withUnsafeBytes { payload in
        try format.withInputTensors(payload: payload) { tensors, rows in
          if let slice = batch.slice {
            let outputs = format.densified(
              try engine.run(tensors.map { $0.rows(slice.rows) }, outputs: outputIndices))
            return ScoredBatch(bytes: [], rows: slice.rows.count, partial: outputs, isPartial: !slice.isLast)
          }
          var frame: [UInt8] = []
          try format.appendFrame(outputs: try run(tensors, rows: rows), rows: rows, to: &frame)
          return ScoredBatch(bytes: frame, rows: rows)
        }
      }
    }
  }

  /// The slices of one frame, in order, as that frame's output.
  public func join(_ parts: [ScoredBatch]) throws(PipeError) -> ScoredBatch {
    let rows = parts.reduce(0) { $0 + $1.rows }
    let outputs = outputIndices.indices.map { position in
      OutputTensor.joined(parts.map { $0.partial![position] })
    }
    var frame: [UInt8] = []
    do { try format.appendFrame(outputs: outputs, rows: rows, to: &frame) } catch {
      throw PipeError(.software, "joining the slices of a frame: \(error)")
    }
    return ScoredBatch(bytes: frame, rows: rows)
  }

  /// Frames merged into one run; each gets its own output frame. When the
  /// merged run fails, the frames are scored one at a time, so the error
  /// names the frame it belongs to and every frame before it is written.
  private func processMerged(_ batch: Batch) -> ScoredBatch {
    let rowBytes = format.inputRowBytes!
    let total = batch.payload.count / rowBytes
    do {
      let outputs = try batch.payload.withUnsafeBytes { payload in
        try withMergedTensors(batch, payload: payload, rows: total) { tensors in try run(tensors, rows: total)
        }
      }
      if outputs.allSatisfy({ $0.rowCount == total }) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(batch.frames.count * 4 + outputs.reduce(0) { $0 + $1.byteCount })
        var start = 0
        if format.outputHasStrings {
          for span in batch.frames {
            let rows = span.range.count / rowBytes
            try format.appendFrame(
              outputs: outputs.map { $0.rows(start..<start + rows) }, rows: rows, to: &bytes)
            start += rows
          }
        } else {
          // Numeric outputs: each frame's rows of each block, copied straight out.
          let blocks = outputs.map { output -> [UInt8] in
            if case .bytes(let block) = output.contents { return block }
            return []
          }
          let outputRowBytes = blocks.map { total == 0 ? 0 : $0.count / total }
          let frameRowBytes = outputRowBytes.reduce(0, +)
          for span in batch.frames {
            let rows = span.range.count / rowBytes
            LengthPrefixedFrameEncoder.appendHeader(count: rows * frameRowBytes, to: &bytes)
            for (block, width) in zip(blocks, outputRowBytes) {
              bytes.append(contentsOf: block[(start * width)..<((start + rows) * width)])
            }
            start += rows
          }
        }
        return ScoredBatch(bytes: bytes, rows: total)
      }
    } catch {
      // Fall through: one frame at a time finds the frame at fault.
    }
    var bytes: [UInt8] = []
    var rows = 0
    for span in batch.frames {
      let frame = Batch(
        origin: BatchOrigin(unit: .frame, number: span.number, byteOffset: span.offset),
        payload: Array(batch.payload[span.range]))
      do {
        let scored = try score(frame)
        bytes += scored.bytes
        rows += scored.rows
      } catch {
        return ScoredBatch(bytes: bytes, rows: rows, failure: error)
      }
    }
    return ScoredBatch(bytes: bytes, rows: rows)
  }

  /// The merged frames' input tensors: the payload itself for a single input,
  /// else each input's blocks gathered from every frame.
  private func withMergedTensors<R>(
    _ batch: Batch, payload: UnsafeRawBufferPointer, rows: Int, _ body: ([InputTensor]) throws -> R
  ) throws -> R {
    if format.inputs.count == 1 {
      return try format.withInputTensors(payload: payload) { tensors, _ in try body(tensors) }
    }
    var gathered: [UInt8] = []
    gathered.reserveCapacity(payload.count)
    for slot in format.inputs {
      var before = 0
      for slotBefore in format.inputs.prefix(while: { $0.index != slot.index }) {
        before += slotBefore.rowBytes!
      }
      for span in batch.frames {
        let frameRows = span.range.count / format.inputRowBytes!
        let start = span.range.lowerBound + before * frameRows
        gathered += payload[start..<start + slot.rowBytes! * frameRows]
      }
    }
    return try gathered.withUnsafeBytes { raw in
      try format.withInputTensors(payload: raw) { tensors, _ in try body(tensors) }
    }
  }

  private func run(_ tensors: [InputTensor], rows: Int) throws -> [OutputTensor] {
    // ONNX Runtime handles empty batches, but some models' ops do not: skip Run.
    guard rows > 0 else { return emptyOutputs() }
    return format.densified(try engine.run(tensors, outputs: outputIndices))
  }

  private func withFrameErrors<R>(_ origin: BatchOrigin, _ body: () throws -> R) throws(PipeError) -> R {
    do {
      return try body()
    } catch let error as PipeError {
      throw PipeError(error.kind, "\(origin): \(error.message)")
    } catch {
      let message = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
      throw PipeError(.data, "\(origin): model run failed: \(message)")
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
