import Synchronization
import Testing

@testable import OnnxPipeCore

/// A value the tests' helpers leave behind.
private final class Box: @unchecked Sendable { var value: UInt64 = 0 }

/// A fake CPU clock the tests move by hand.
private final class FakeClock: Sendable {
  let nanoseconds = Atomic<UInt64>(0)
  func advance(_ by: UInt64) { nanoseconds.add(by, ordering: .relaxed) }
  var read: @Sendable () -> UInt64 { { self.nanoseconds.load(ordering: .relaxed) } }
}

@Suite struct BatchSizeTunerTests {
  /// Runs one worker's batches at whatever size the tuner asks for, each
  /// costing `cost(size)` nanoseconds per row of wall and CPU time, until it
  /// settles (or `limit` runs).
  private func drive(
    _ tuner: BatchSizeTuner, clock: FakeClock, from start: UInt64 = 1_000, limit: Int = 10_000,
    cost: (Int) -> UInt64
  ) -> Int {
    var now = start
    var runs = 0
    while !tuner.isSettled && runs < limit {
      let rows = tuner.target(now: now)
      let run = tuner.begin(rows: rows, now: now)
      let spent = UInt64(rows) * cost(rows)
      now += spent
      clock.advance(spent)
      if let run { tuner.end(run, now: now) }
      runs += 1
    }
    lastNow = now
    return runs
  }

  /// The fake time at which the last `drive` stopped (when the tuner settled).
  private let lastNowBox = Box()
  private var lastNow: UInt64 {
    get { lastNowBox.value }
    nonmutating set { lastNowBox.value = newValue }
  }

  private static let quick = BatchSizeTuner.Settings(minimumRuns: 3, minimumNanoseconds: 1)

  @Test func settlesOnTheSizeThatCostsLeastCPUPerRow() {
    let clock = FakeClock()
    let tuner = BatchSizeTuner(settings: Self.quick, cpuClock: clock.read)
    #expect(tuner.targetRows == 512, "starts at the initial size")
    let runs = drive(tuner, clock: clock) { [64: 30, 512: 10, 4096: 20][$0]! }
    #expect(tuner.isSettled)
    #expect(tuner.targetRows == 512)
    // Every size measured twice: 3 runs each, 6 rounds.
    #expect(runs == 18)
    #expect(tuner.measurements.map(\.rows) == [64, 512, 4096])
    let rates = tuner.measurements.map(\.rowsPerSecond)
    #expect(abs(rates[0] - 1e9 / 30) < 1 && abs(rates[1] - 1e9 / 10) < 1 && abs(rates[2] - 1e9 / 20) < 1)
    #expect(tuner.begin(rows: 512) == nil, "a settled tuner times nothing")
  }

  @Test func aNearTieGoesToTheLargerSize() {
    let clock = FakeClock()
    let tuner = BatchSizeTuner(settings: Self.quick, cpuClock: clock.read)
    _ = drive(tuner, clock: clock) { [64: 140, 512: 100, 4096: 104][$0]! }
    #expect(tuner.targetRows == 4096, "4096 within 5 % of 512")
    let other = FakeClock()
    let slower = BatchSizeTuner(settings: Self.quick, cpuClock: other.read)
    _ = drive(slower, clock: other) { [64: 100, 512: 100, 4096: 110][$0]! }
    #expect(slower.targetRows == 512, "4096 10 % slower: not chosen")
  }

  /// A busy spell of the machine during one round of a size does not lose it the choice.
  @Test func eachSizeKeepsItsBestRound() {
    let clock = FakeClock()
    let tuner = BatchSizeTuner(settings: Self.quick, cpuClock: clock.read)
    var calls = 0
    // 512 runs 4× slower in its second round (the last 3 runs); 4096 is steady. Keeping the
    // last round, or the mean of both, would choose 4096.
    _ = drive(tuner, clock: clock) { rows in
      calls += 1
      return rows == 512 && calls > 15 ? 40 : [64: 30, 512: 10, 4096: 20][rows]!
    }
    #expect(tuner.targetRows == 512)
  }

  /// Runs of other sizes (a slow stream's small merges) never count; the
  /// tuner gives each size up after too many and settles on its initial size.
  @Test func aStreamTooSlowToFillRunsSettlesOnTheInitialSize() {
    let clock = FakeClock()
    let settings = BatchSizeTuner.Settings(minimumRuns: 3, minimumNanoseconds: 1, maximumMisses: 10)
    let tuner = BatchSizeTuner(settings: settings, cpuClock: clock.read)
    var now: UInt64 = 0
    var runs = 0
    while !tuner.isSettled && runs < 1_000 {
      guard let run = tuner.begin(rows: 5, now: now) else { break }
      now += 100
      tuner.end(run, now: now)
      runs += 1
    }
    #expect(tuner.isSettled)
    #expect(runs == 60, "10 misses for each of 6 rounds")
    #expect(tuner.targetRows == 512)
    #expect(tuner.measurements.isEmpty)
  }

  /// A round's clock starts once the last run of another size has ended, and
  /// a run under way at that moment counts for its part after it.
  @Test func runsOfThePreviousSizeAreNotChargedToTheNext() throws {
    let clock = FakeClock()
    let settings = BatchSizeTuner.Settings(minimumRuns: 2, minimumNanoseconds: 1)
    let tuner = BatchSizeTuner(settings: settings, cpuClock: clock.read)
    let old = try #require(tuner.begin(rows: 4096, now: 0))  // still going when 512 is tried
    let a = try #require(tuner.begin(rows: 512, now: 0))
    clock.advance(20)  // two workers busy for 10 ns
    tuner.end(a, now: 10)
    let b = try #require(tuner.begin(rows: 512, now: 10))
    clock.advance(10)
    tuner.end(old, now: 15)  // the clock starts here
    clock.advance(5)
    tuner.end(b, now: 20)  // half of b is after the start: 256 rows
    let c = try #require(tuner.begin(rows: 512, now: 20))
    clock.advance(10)
    tuner.end(c, now: 30)
    let measured = try #require(tuner.measurements.first { $0.rows == 512 })
    // 256 + 512 rows in 15 ns of CPU after the start.
    #expect(abs(measured.rowsPerSecond - 768 / 15e-9) < 1e3, "\(measured.rowsPerSecond)")
    #expect(tuner.targetRows == 4096, "on to the next size")
  }

  @Test func failedRunsAreNotCounted() throws {
    let clock = FakeClock()
    let tuner = BatchSizeTuner(settings: Self.quick, cpuClock: clock.read)
    for step in 0..<10 {
      let run = try #require(tuner.begin(rows: 512, now: UInt64(step) * 10))
      clock.advance(10)
      tuner.end(run, failed: true, now: UInt64(step) * 10 + 10)
    }
    #expect(tuner.measurements.isEmpty)
    #expect(tuner.targetRows == 512, "still on the first size")
  }

  @Test func aFixedSizeIsSettledFromTheStart() {
    let tuner = BatchSizeTuner(fixedRows: 100)
    #expect(tuner.isSettled && tuner.targetRows == 100)
    #expect(tuner.begin(rows: 100) == nil)
    #expect(tuner.target(now: .max / 2) == 100 && tuner.isSettled, "a fixed size is never tried again")
  }

  /// After `recheckNanoseconds` the sizes are tried again, and a change of speeds changes the choice.
  @Test func aSettledChoiceIsTriedAgainAfterTheRecheckInterval() {
    let clock = FakeClock()
    var settings = Self.quick
    settings.recheckNanoseconds = 1_000_000
    let tuner = BatchSizeTuner(settings: settings, cpuClock: clock.read)
    _ = drive(tuner, clock: clock) { [64: 30, 512: 10, 4096: 20][$0]! }
    #expect(tuner.targetRows == 512)
    let settledAt = lastNow
    #expect(tuner.target(now: settledAt + 999_999) == 512 && tuner.isSettled, "not yet")
    #expect(tuner.recheckCount == 0)
    _ = tuner.target(now: settledAt + 1_000_000)
    #expect(!tuner.isSettled && tuner.recheckCount == 1)
    // The machine changed: now 4096 is cheapest.
    _ = drive(tuner, clock: clock, from: settledAt + 1_000_000) { [64: 30, 512: 20, 4096: 10][$0]! }
    #expect(tuner.isSettled && tuner.targetRows == 4096)
  }

  /// A re-check that cannot measure (the stream slowed to a trickle) keeps the choice it had.
  @Test func aRecheckThatMeasuresNothingKeepsThePreviousChoice() {
    let clock = FakeClock()
    var settings = BatchSizeTuner.Settings(minimumRuns: 3, minimumNanoseconds: 1, maximumMisses: 10)
    settings.recheckNanoseconds = 1_000
    let tuner = BatchSizeTuner(settings: settings, cpuClock: clock.read)
    _ = drive(tuner, clock: clock) { [64: 30, 512: 20, 4096: 10][$0]! }
    #expect(tuner.targetRows == 4096)
    var now = lastNow + 1_000
    _ = tuner.target(now: now)
    #expect(!tuner.isSettled)
    while !tuner.isSettled, let run = tuner.begin(rows: 5, now: now) {
      now += 100
      tuner.end(run, now: now)
    }
    #expect(tuner.targetRows == 4096, "not the initial 512")
  }

  @Test func choosePicksTheLargestSizeWithinTheTolerance() {
    #expect(BatchSizeTuner.choose([1, 8, 64], [10, 100, 96], tolerance: 0.05) == 64)
    #expect(BatchSizeTuner.choose([1, 8, 64], [10, 100, 94], tolerance: 0.05) == 8)
    #expect(BatchSizeTuner.choose([1, 8], [0, 0], tolerance: 0.05) == nil)
  }
}
