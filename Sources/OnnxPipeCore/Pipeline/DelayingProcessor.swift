#if canImport(Glibc)
  import Glibc
#endif

/// Wraps a processor and sleeps a random time before each batch: a fault
/// injector for soak and ordering tests (`ONNXPIPE_FAULT_DELAY_US`), so
/// batches finish out of order on purpose. Output is unchanged.
public struct DelayingProcessor: BatchProcessor {
  public let wrapped: any BatchProcessor
  public let maxDelayMicroseconds: UInt32

  public init(_ wrapped: any BatchProcessor, maxDelayMicroseconds: UInt32) {
    self.wrapped = wrapped
    self.maxDelayMicroseconds = maxDelayMicroseconds
  }

  public func process(_ batch: Batch) throws(PipeError) -> ScoredBatch {
    usleep(UInt32.random(in: 0...maxDelayMicroseconds))
    return try wrapped.process(batch)
  }

  public func join(_ parts: [ScoredBatch]) throws(PipeError) -> ScoredBatch {
    try wrapped.join(parts)
  }
}
