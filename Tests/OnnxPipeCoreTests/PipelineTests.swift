import Synchronization
import Testing

@testable import OnnxPipeCore

#if canImport(Glibc)
  import Glibc
#endif

/// A payload the test processor rejects; never produced otherwise (its second byte would need 0xEE00 batches).
let poisonPayload: [UInt8] = [0xEE, 0xEE, 0xEE, 0xEE]

/// A source of numbered batches from memory; can fail at a chosen batch.
struct MemorySource: BatchSource {
  var payloads: [[UInt8]]
  var failAt: Int?
  var produced = 0
  let counter: Counter

  mutating func next() throws(PipeError) -> Batch? {
    if produced == failAt { throw PipeError(.data, "frame \(produced + 1): bad") }
    guard produced < payloads.count else { return nil }
    defer { produced += 1 }
    counter.value.add(1, ordering: .relaxed)
    return Batch(
      origin: BatchOrigin(unit: .frame, number: produced + 1, byteOffset: 0), payload: payloads[produced])
  }
}

/// Doubles every byte after a random delay; fails on the poison payload. The output is the first
/// byte and then the rest in blocks, as a raw frame's outputs come (`ScoredBatch.blocks`).
struct DelayingProcessor: BatchProcessor {
  let maxDelayMicroseconds: UInt32

  func process(_ batch: Batch) throws(PipeError) -> ScoredBatch {
    if maxDelayMicroseconds > 0 { usleep(UInt32.random(in: 0...maxDelayMicroseconds)) }
    if batch.payload == poisonPayload { throw PipeError(.data, "\(batch.origin): rejected") }
    let doubled = batch.payload.map { $0 &* 2 }
    return ScoredBatch(
      bytes: Array(doubled.prefix(1)),
      blocks: [Array(doubled.dropFirst().prefix(2)), [], Array(doubled.dropFirst(3))],
      rows: batch.payload.count)
  }
}

/// Collects output and records the largest number of batches read but not yet written.
final class CountingSink: OutputSink, @unchecked Sendable {
  // @unchecked Sendable: written only by the pipeline's writer thread, read after run() returns.
  var bytes: [UInt8] = []
  var maxInFlight = 0
  let produced: Counter
  let batchBytes: Int

  init(produced: Counter, batchBytes: Int) {
    self.produced = produced
    self.batchBytes = batchBytes
  }

  func write(_ raw: UnsafeRawBufferPointer) throws(PipeError) {
    bytes += raw
    let written = bytes.count / batchBytes
    maxInFlight = max(maxInFlight, produced.value.load(ordering: .relaxed) - written)
  }
}

struct SinkBox: OutputSink {
  let sink: CountingSink
  mutating func write(_ raw: UnsafeRawBufferPointer) throws(PipeError) { try sink.write(raw) }
}

func runPipeline(
  batches: Int, workers: Int, window: Int, delay: UInt32 = 300, failSource: Int? = nil,
  poison: Int? = nil, minimumWindow: Int? = nil, windowBytes: Int? = nil
) -> (outcome: PipelineOutcome, output: [UInt8], maxInFlight: Int, expected: [UInt8]) {
  let payloads = (0..<batches).map { index -> [UInt8] in
    index == poison ? poisonPayload : [UInt8(index & 0xFF), UInt8(index >> 8), 1, 2]
  }
  let counter = Counter()
  let sink = CountingSink(produced: counter, batchBytes: 4)
  var configuration = PipelineConfiguration(workers: workers, window: window, writeBufferBytes: 4)
  configuration.minimumWindow = minimumWindow ?? window
  configuration.windowBytes = windowBytes
  let pipeline = Pipeline(
    source: MemorySource(payloads: payloads, failAt: failSource, counter: counter),
    processor: DelayingProcessor(maxDelayMicroseconds: delay), sink: SinkBox(sink: sink),
    configuration: configuration)
  let outcome = pipeline.run()
  let last = [failSource, poison].compactMap { $0 }.min() ?? batches
  let expected = payloads.prefix(last).flatMap { $0.map { $0 &* 2 } }
  return (outcome, sink.bytes, sink.maxInFlight, expected)
}

@Suite struct PipelineTests {
  @Test(arguments: [(1, 1), (2, 4), (3, 2), (4, 8), (8, 16), (8, 3)])
  func outputOrderIsInputOrderUnderRandomDelays(workers: Int, window: Int) {
    let result = runPipeline(batches: 300, workers: workers, window: window)
    #expect(result.outcome == .finished)
    #expect(result.output == result.expected)
  }

  @Test(arguments: [1, 2, 5])
  func batchesInFlightNeverExceedTheWindow(window: Int) {
    let result = runPipeline(batches: 400, workers: 4, window: window, delay: 200)
    #expect(result.outcome == .finished)
    // The window holds `window` batches; the writer may be writing one more
    // that it has already taken out of the window (the documented bound).
    #expect(result.maxInFlight <= window + 1)
    #expect(result.maxInFlight >= 1)
  }

  @Test func aByteBudgetHoldsTheWindowToTheBatchesItPays() {
    // 4-byte batches, 12 bytes of budget past a minimum of 2: three batches in flight at most
    // (plus the one the writer is writing), though the window has room for 64.
    let held = runPipeline(
      batches: 300, workers: 4, window: 64, delay: 200, minimumWindow: 2, windowBytes: 12)
    #expect(held.outcome == .finished)
    #expect(held.output == held.expected)
    #expect(held.maxInFlight <= 4)
    // Under a minimum of 6, six batches go in whatever their bytes: the reader gets past the budget.
    let minimum = runPipeline(
      batches: 300, workers: 4, window: 64, delay: 200, minimumWindow: 6, windowBytes: 4)
    #expect(minimum.output == minimum.expected)
    #expect(minimum.maxInFlight <= 7)
    #expect(minimum.maxInFlight > 4)
  }

  @Test func aFailedBatchStopsTheStreamAfterEverythingBeforeIt() {
    let result = runPipeline(batches: 200, workers: 4, window: 8, poison: 57)
    #expect(result.outcome == .failed(PipeError(.data, "frame 58 (byte 0): rejected")))
    #expect(result.output == result.expected)
  }

  @Test func anInputErrorComesAfterEveryBatchBeforeIt() {
    let result = runPipeline(batches: 100, workers: 3, window: 4, failSource: 40)
    #expect(result.outcome == .failed(PipeError(.data, "frame 41: bad")))
    #expect(result.output == result.expected)
  }

  @Test func theEarlierOfABadBatchAndABadInputWins() {
    let result = runPipeline(batches: 100, workers: 3, window: 4, failSource: 40, poison: 39)
    #expect(result.outcome == .failed(PipeError(.data, "frame 40 (byte 0): rejected")))
    #expect(result.output == result.expected)
  }

  @Test func emptyInputFinishesWithNoOutput() {
    let result = runPipeline(batches: 0, workers: 2, window: 2)
    #expect(result.outcome == .finished)
    #expect(result.output.isEmpty)
  }

  @Test func interruptWritesWhatWasAdmittedAndNothingAfter() {
    let counter = Counter()
    let sink = CountingSink(produced: counter, batchBytes: 4)
    let blocking = BlockingSource(gate: Gate(), counter: counter)
    let pipeline = Pipeline(
      source: blocking, processor: DelayingProcessor(maxDelayMicroseconds: 0), sink: SinkBox(sink: sink),
      configuration: PipelineConfiguration(workers: 2, window: 8, writeBufferBytes: 4))
    let gate = blocking.gate
    OwnedThread {
      gate.waitUntilBlocked()
      pipeline.interrupt(signal: 2)
    }.detach()
    #expect(pipeline.run() == .interrupted(signal: 2))
    #expect(sink.bytes == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22])
  }
}

/// A shared count of batches the source produced.
final class Counter: Sendable {
  let value = Atomic<Int>(0)
}

/// Lets a test wait until the source sits in a blocking read.
final class Gate: Sendable {
  private let blocked = Atomic<Bool>(false)
  func markBlocked() { blocked.store(true, ordering: .releasing) }
  func waitUntilBlocked() {
    while !blocked.load(ordering: .acquiring) { usleep(1000) }
  }
}

/// Produces three batches, then blocks for ever, like `tail -F` on a quiet log.
struct BlockingSource: BatchSource {
  let gate: Gate
  let counter: Counter
  var produced = 0

  mutating func next() throws(PipeError) -> Batch? {
    guard produced < 3 else {
      gate.markBlocked()
      while true { sleep(1000) }
    }
    defer { produced += 1 }
    counter.value.add(1, ordering: .relaxed)
    let base = UInt8(produced * 4)
    return Batch(
      origin: BatchOrigin(unit: .frame, number: produced + 1, byteOffset: 0),
      payload: [base, base + 1, base + 2, base + 3])
  }
}

/// The soak's fault injector must not change what slices of a frame join into.
@Suite struct DelayingProcessorTests {
  private struct Joining: BatchProcessor {
    func process(_ batch: Batch) throws(PipeError) -> ScoredBatch { ScoredBatch(bytes: [1], rows: 1) }
    func join(_ parts: [ScoredBatch]) throws(PipeError) -> ScoredBatch {
      ScoredBatch(bytes: [9, UInt8(parts.count)], rows: parts.count)
    }
  }

  @Test func joinIsTheWrappedProcessorsJoin() throws {
    let delaying = OnnxPipeCore.DelayingProcessor(Joining(), maxDelayMicroseconds: 1)
    let parts = [ScoredBatch(bytes: [], rows: 2), ScoredBatch(bytes: [], rows: 3)]
    let joined = try delaying.join(parts)
    #expect(joined.bytes == [9, 2])
    #expect(joined.rows == 2)
  }
}
