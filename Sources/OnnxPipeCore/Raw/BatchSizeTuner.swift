import Synchronization

/// Chooses the rows per model run for `--batch-rows auto` from the stream's
/// own runs: nothing is spent before the first frame is scored.
///
/// The source asks `target()` each time it starts a batch; the workers say
/// when each run begins and ends. The tuner tries each candidate size in
/// turn (every size once, then again in reverse order, so a slow spell of the
/// machine does not fall on one size only), keeps each size's best round of
/// rows per second of the process's CPU time, and then settles on the
/// largest size within `tolerance` of the fastest. CPU time of the whole
/// process counts the reader's and writer's work per batch and the
/// hand-offs, as the stream's speed does, but not the time other programs
/// take the cores away: on a shared machine, wall-clock rounds of a few tens
/// of milliseconds swung by more than the sizes differ, and CPU rounds did
/// not. Too small a size makes every run pay the per-run cost; too large one
/// only loses some cache, so near-ties go large.
///
/// A run counts for the size being tried when its rows are within a factor
/// of two of it (merges of small frames and slices of large ones land
/// there). A round's clock starts only once no run of another size is still
/// going (runs of the previous size finish after the switch, and would
/// otherwise be charged to this one); a run that straddles that moment
/// counts for the part of it after. A stream too slow to fill such runs (a
/// live feed held to `--max-delay`) gives up a size after `maximumMisses`
/// runs of other sizes; when no size could be measured the tuner settles on
/// `initialRows`, where the model's speed no longer matters.
///
/// A long-lived stream outlives the conditions it was measured in (other
/// programs come and go, a backlog drains into a trickle): `recheckNanoseconds`
/// after settling, the next batch starts the same two rounds again, and the
/// tuner settles anew (on its previous choice when nothing could be measured).
///
/// With `fixedRows` it is settled from the start (`--batch-rows N`) for good.
public final class BatchSizeTuner: Sendable {
  /// Sizes tried, 8× apart so that their factor-of-two ranges do not overlap.
  public static let candidates = [64, 512, 4096]

  public struct Settings: Sendable {
    /// Runs each size needs per round.
    public var minimumRuns: Int
    /// Wall time each size needs per round (all workers together).
    public var minimumNanoseconds: UInt64
    /// Runs of other sizes after which a size is given up for the round.
    public var maximumMisses: Int
    /// How close to the fastest a larger size must come to be chosen.
    public var tolerance: Double
    /// Wall time after settling before the sizes are tried again (0: never).
    public var recheckNanoseconds: UInt64

    public init(
      minimumRuns: Int = 6, minimumNanoseconds: UInt64 = 20_000_000, maximumMisses: Int = 256,
      tolerance: Double = 0.05, recheckNanoseconds: UInt64 = 60_000_000_000
    ) {
      self.minimumRuns = minimumRuns
      self.minimumNanoseconds = minimumNanoseconds
      self.maximumMisses = maximumMisses
      self.tolerance = tolerance
      self.recheckNanoseconds = recheckNanoseconds
    }
  }

  /// One size's best round, in rows per second of the process's CPU time.
  public struct Measurement: Sendable, Equatable {
    public let rows: Int
    public let rowsPerSecond: Double
  }

  /// A run under way, from `begin` to `end`.
  public struct Run: Sendable {
    let id: Int
    let rows: Int
    let began: UInt64
  }

  /// What one size's turn has measured so far.
  private struct Turn {
    /// When its clock started (nil: runs of another size are still going).
    var windowStart: UInt64?
    /// The process's CPU time then.
    var windowStartCPU: UInt64 = 0
    var latestEnd: UInt64 = 0
    var rows = 0.0
    var runs = 0
    var misses = 0
  }

  private struct State {
    var phase = 0
    var turn = Turn()
    var nextID = 0
    var inFlight: [Run] = []
    var best: [Double]
    /// What to settle on when no size could be measured: the initial size, then the last choice.
    var fallback: Int
    /// When the tuner last settled (monotonic nanoseconds).
    var settledAt: UInt64 = 0
    /// How many times the sizes were tried again after settling.
    var rechecks = 0
  }

  public let candidates: [Int]
  public let settings: Settings
  /// The order the candidates are tried in (indices into `candidates`).
  private let schedule: [Int]
  private let target: Atomic<Int>
  private let settled: Atomic<Bool>
  private let state: Locked<State>
  private let cpuClock: @Sendable () -> UInt64
  /// Whether a settled choice is tried again after a while (not for a fixed size).
  private let rechecks: Bool

  /// A tuner that measures `candidates`, starting with `initialRows` (which
  /// should be one of them). `cpuClock` reads the CPU time to charge (tests
  /// pass their own).
  public init(
    candidates: [Int] = candidates, initialRows: Int = 512, settings: Settings = Settings(),
    cpuClock: @escaping @Sendable () -> UInt64 = processCPUNanoseconds
  ) {
    precondition(!candidates.isEmpty && candidates.allSatisfy { $0 > 0 })
    self.candidates = candidates
    self.cpuClock = cpuClock
    self.settings = settings
    // Start at the initial size, then the others from large to small, then back.
    let first = candidates.firstIndex(of: initialRows)
    let rest = candidates.indices.filter { $0 != first }.sorted { candidates[$0] > candidates[$1] }
    let round = (first.map { [$0] } ?? []) + rest
    schedule = round + round.reversed()
    target = Atomic(candidates[schedule[0]])
    settled = Atomic(false)
    state = Locked(State(best: Array(repeating: 0, count: candidates.count), fallback: initialRows))
    rechecks = settings.recheckNanoseconds > 0
  }

  /// A tuner that always answers `fixedRows`.
  public init(fixedRows: Int) {
    precondition(fixedRows > 0)
    candidates = [fixedRows]
    settings = Settings()
    cpuClock = processCPUNanoseconds
    schedule = [0]
    target = Atomic(fixedRows)
    settled = Atomic(true)
    state = Locked(State(best: [0], fallback: fixedRows))
    rechecks = false
  }

  /// Rows per run aimed for now (as last answered by `target`).
  public var targetRows: Int { target.load(ordering: .relaxed) }

  /// Rows per run to aim for in a batch beginning at `now`; starts trying
  /// the sizes again when the last choice is `recheckNanoseconds` old.
  public func target(now: UInt64 = monotonicNanoseconds()) -> Int {
    if rechecks && isSettled {
      state.withLock { state in
        guard isSettled, now &- state.settledAt >= settings.recheckNanoseconds else { return }
        state.phase = 0
        state.turn = Turn()
        state.inFlight = []  // runs begun while settled were not noted
        state.best = Array(repeating: 0, count: candidates.count)
        state.rechecks += 1
        target.store(candidates[schedule[0]], ordering: .relaxed)
        settled.store(false, ordering: .releasing)
      }
    }
    return target.load(ordering: .relaxed)
  }

  /// Tries the sizes again from the next batch on (a reloaded model may favour another size).
  public func remeasure() {
    guard rechecks else { return }
    state.withLock { $0.settledAt = 0 }
  }

  /// How many times the sizes were tried again after settling.
  public var recheckCount: Int { state.withLock { $0.rechecks } }

  /// Whether the choice is made (runs need not be timed any more).
  public var isSettled: Bool { settled.load(ordering: .acquiring) }

  /// Each measured size's best round so far, in candidate order.
  public var measurements: [Measurement] {
    state.withLock { state in
      zip(candidates, state.best).compactMap { $1 > 0 ? Measurement(rows: $0, rowsPerSecond: $1) : nil }
    }
  }

  /// Notes a run of `rows` rows beginning at `now`; nil once settled (nothing to time).
  public func begin(rows: Int, now: UInt64 = monotonicNanoseconds()) -> Run? {
    guard !isSettled else { return nil }
    return state.withLock { state in
      guard state.phase < schedule.count else { return nil }
      let run = Run(id: state.nextID, rows: rows, began: now)
      state.nextID += 1
      state.inFlight.append(run)
      startClockIfClear(&state, now)
      return run
    }
  }

  /// Notes the end of `run` at `now`; a failed run only leaves the runs under way.
  public func end(_ run: Run, failed: Bool = false, now: UInt64 = monotonicNanoseconds()) {
    state.withLock { state in
      state.inFlight.removeAll { $0.id == run.id }
      guard state.phase < schedule.count, !failed else { return }
      if inRange(run.rows, state) {
        if let start = state.turn.windowStart {
          let duration = max(now - min(run.began, now), 1)
          let after = now - min(max(run.began, start), now)
          state.turn.rows += Double(run.rows) * Double(after) / Double(duration)
          state.turn.runs += 1
          state.turn.latestEnd = max(state.turn.latestEnd, now)
          let elapsed = state.turn.latestEnd - min(start, state.turn.latestEnd)
          if state.turn.runs >= settings.minimumRuns && elapsed >= settings.minimumNanoseconds {
            let clock = cpuClock()
            let cpu = clock - min(state.turn.windowStartCPU, clock)
            let rate = state.turn.rows / (Double(max(cpu, 1)) / 1e9)
            state.best[schedule[state.phase]] = max(state.best[schedule[state.phase]], rate)
            advance(&state, now)
          }
        }
      } else {
        state.turn.misses += 1
        if state.turn.misses >= settings.maximumMisses { advance(&state, now) }
      }
      startClockIfClear(&state, now)
    }
  }

  private func inRange(_ rows: Int, _ state: State) -> Bool {
    let size = candidates[schedule[state.phase]]
    return 2 * rows > size && rows <= 2 * size
  }

  /// Starts the round's clock at `now` once every run under way is of the size being tried.
  private func startClockIfClear(_ state: inout State, _ now: UInt64) {
    guard state.phase < schedule.count, state.turn.windowStart == nil else { return }
    if state.inFlight.allSatisfy({ inRange($0.rows, state) }) {
      state.turn.windowStart = now
      state.turn.windowStartCPU = cpuClock()
    }
  }

  private func advance(_ state: inout State, _ now: UInt64) {
    state.phase += 1
    state.turn = Turn()
    guard state.phase < schedule.count else {
      let choice = Self.choose(candidates, state.best, tolerance: settings.tolerance) ?? state.fallback
      state.fallback = choice
      state.settledAt = now
      target.store(choice, ordering: .relaxed)
      settled.store(true, ordering: .releasing)
      return
    }
    target.store(candidates[schedule[state.phase]], ordering: .relaxed)
  }

  /// The largest size within `tolerance` of the fastest, or nil when none was measured.
  static func choose(_ sizes: [Int], _ rates: [Double], tolerance: Double) -> Int? {
    guard let fastest = rates.max(), fastest > 0 else { return nil }
    return zip(sizes, rates).filter { $0.1 >= fastest * (1 - tolerance) }.map(\.0).max()
  }
}
