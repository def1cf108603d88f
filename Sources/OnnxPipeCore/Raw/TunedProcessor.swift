/// Tells a `BatchSizeTuner` how long each batch of raw frames took to score
/// while it is still choosing the batch size, then gets out of the way.
public struct TunedProcessor: BatchProcessor {
  public let base: any BatchProcessor
  public let tuner: BatchSizeTuner
  /// Bytes in one row of the input frames.
  let rowBytes: Int

  public init(_ base: any BatchProcessor, tuner: BatchSizeTuner, rowBytes: Int) {
    self.base = base
    self.tuner = tuner
    self.rowBytes = max(rowBytes, 1)
  }

  public func process(_ batch: Batch) throws(PipeError) -> ScoredBatch {
    guard !tuner.isSettled else { return try base.process(batch) }
    let rows = batch.slice?.rows.count ?? batch.payload.count / rowBytes
    guard let run = tuner.begin(rows: rows) else { return try base.process(batch) }
    let scored: ScoredBatch
    do { scored = try base.process(batch) } catch {
      tuner.end(run, failed: true)
      throw error
    }
    tuner.end(run, failed: scored.failure != nil)
    return scored
  }

  public func join(_ parts: [ScoredBatch]) throws(PipeError) -> ScoredBatch {
    try base.join(parts)
  }
}
