import Synchronization
import Testing

@testable import OnnxPipeCore

#if canImport(Glibc)
  import Glibc
#endif

/// Adds `amount` to every byte after a random delay: two of them stand for two models.
struct AddingProcessor: BatchProcessor {
  let amount: UInt8

  func process(_ batch: Batch) throws(PipeError) -> ScoredBatch {
    usleep(UInt32.random(in: 0...200))
    return ScoredBatch(bytes: batch.payload.map { $0 &+ amount }, rows: batch.payload.count)
  }
}

/// Where the source finds the pipeline, set once the pipeline exists.
final class PipelineBox<Source: BatchSource, Sink: OutputSink>: @unchecked Sendable {
  // @unchecked Sendable: set before run() starts the reader thread, only read afterwards.
  var pipeline: Pipeline<Source, Sink>?
}

/// Numbered one-byte batches; just before handing out batch `switchAt` it calls `onSwitch`.
struct SwitchingSource: BatchSource {
  let count: Int
  let switchAt: Int
  let onSwitch: @Sendable () -> Void
  var produced = 0

  mutating func next() throws(PipeError) -> Batch? {
    guard produced < count else { return nil }
    if produced == switchAt { onSwitch() }
    defer { produced += 1 }
    return Batch(
      origin: BatchOrigin(unit: .frame, number: produced + 1, byteOffset: 0), payload: [UInt8(produced % 100)]
    )
  }
}

@Suite struct ProcessorReplacementTests {
  /// A reloaded model scores exactly the batches admitted after it is in place: every batch
  /// once, in order, the old model's strictly before the new one's, whatever the workers do.
  @Test(arguments: [(1, 1), (2, 4), (4, 8), (8, 3)])
  func batchesAdmittedAfterAReplacementUseTheNewProcessor(workers: Int, window: Int) {
    let box = PipelineBox<SwitchingSource, SinkBox>()
    let counter = Counter()
    let sink = CountingSink(produced: counter, batchBytes: 1)
    let source = SwitchingSource(count: 400, switchAt: 137) {
      box.pipeline!.replaceProcessor(AddingProcessor(amount: 100))
    }
    let pipeline = Pipeline(
      source: source, processor: AddingProcessor(amount: 0), sink: SinkBox(sink: sink),
      configuration: PipelineConfiguration(workers: workers, window: window, writeBufferBytes: 1))
    box.pipeline = pipeline
    #expect(pipeline.run() == .finished)
    let expected = (0..<400).map { UInt8($0 % 100) &+ ($0 >= 137 ? 100 : 0) }
    #expect(sink.bytes == expected)
  }
}
