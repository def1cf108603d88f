/// Reads raw frames: splits a frame's payload into the model's input tensors
/// (over the bytes as read where aligned). Also reads what
/// `AdaptiveFrameSource` makes of frames: several frames merged into one run,
/// and slices of a large frame.
public struct RawFrameReader: RecordReader {
  public let format: RawFormat

  public init(format: RawFormat) {
    self.format = format
  }

  public func withRecords<R>(_ batch: Batch, _ body: (DecodedRecords) throws(PipeError) -> R)
    throws(PipeError) -> R
  {
    let origin = batch.origin
    let merged = batch.frames.isEmpty ? nil : batch.frames.map { $0.range.count / format.inputRowBytes! }
    do {
      return try batch.payload.withUnsafeBytes { payload in
        try withTensors(batch, payload: payload) { tensors, rows in
          let decoded = DecodedRecords(
            count: rows, rows: rows, groups: merged, isUnit: true, location: { _ in origin.description },
            run: { engine, outputs in try engine.run(tensors, outputs: outputs) })
          return try body(decoded)
        }
      }
    } catch let error as PipeError where error.message.hasPrefix("\(origin)") {
      throw error
    } catch let error as PipeError {
      throw PipeError(error.kind, "\(origin): \(error.message)")
    } catch {
      throw PipeError(.software, "\(origin): \(error)")
    }
  }

  /// The batch's input tensors and rows: a frame's (or a slice of it), or
  /// merged frames' (the payload itself for a single input, else each input's
  /// blocks gathered from every frame).
  private func withTensors<R>(
    _ batch: Batch, payload: UnsafeRawBufferPointer, _ body: ([InputTensor], Int) throws -> R
  ) throws -> R {
    if let slice = batch.slice {
      return try format.withInputTensors(payload: payload) { tensors, _ in
        try body(tensors.map { $0.rows(slice.rows) }, slice.rows.count)
      }
    }
    guard !batch.frames.isEmpty, format.inputs.count > 1 else {
      return try format.withInputTensors(payload: payload, body)
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
    return try gathered.withUnsafeBytes { raw in try format.withInputTensors(payload: raw, body) }
  }

  /// A merged batch's frames, each a batch of its own.
  public func split(_ batch: Batch) -> [Batch]? {
    guard !batch.frames.isEmpty else { return nil }
    return batch.frames.map { span in
      Batch(
        origin: BatchOrigin(unit: .frame, number: span.number, byteOffset: span.offset),
        payload: Array(batch.payload[span.range]))
    }
  }
}
