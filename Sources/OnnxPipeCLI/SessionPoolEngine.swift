import OnnxPipeCore
import OnnxRuntime
import Synchronization

/// Runs a model on a session of its own for each worker thread running it at
/// the same time, for models whose kernels keep state that concurrent runs
/// on one session contend on (`ModelGraph.contendedOperators`: RE2's caches,
/// a locale). Everything else shares one session between its workers.
///
/// Sessions are checked out for one run and checked back in. The first
/// session is the one loaded at start-up (or on a reload). The first time a
/// run finds none idle, another is made from the same bytes
/// (`Session.sibling()`) on a thread of its own, up to `limit` (the
/// workers), while that run shares the first session (ONNX Runtime's Run is
/// thread-safe: sharing is slower, never wrong), so no run waits for a load.
/// A stream one worker keeps up with never loads a second copy, and a reload,
/// which builds a new engine, replaces every session at once.
///
/// ```
///   worker 1 --run--> checkOut -> A (idle)                     --checkIn--> idle: [A]
///   worker 2 --run--> checkOut -> A shared; makes B meanwhile  ------------> idle: [A, B]
///   worker 2 --run--> checkOut -> B (idle)
/// ```
final class SessionPoolEngine: RepeatingEngine {
  /// A session checked out for a run; `owned` when it came from the idle list and goes back to it.
  struct Lease {
    let engine: OrtEngine
    let owned: Bool
  }

  private struct State {
    var idle: [OrtEngine]
    /// Sessions made or being made, the first included.
    var made: Int
    /// Whether a session is being made (one at a time).
    var making = false
    /// Whether making a session failed: the runs then share the first one from then on.
    var makingFailed = false
  }

  let signature: ModelSignature
  /// The session loaded first; also the one runs share when no other can be made.
  private let first: OrtEngine
  let limit: Int
  private let state: Mutex<State>

  /// - Parameter limit: the most sessions to hold (the workers, within
  ///   `ScoreCommand.sessionBudget`); at least 1.
  init(session: Session, limit: Int) {
    first = OrtEngine(session: session)
    signature = first.signature
    self.limit = max(limit, 1)
    state = Mutex(State(idle: [first], made: 1))
  }

  /// How many sessions the pool has made, the first included.
  var sessionCount: Int { state.withLock { $0.made } }

  func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    let lease = checkOut()
    defer { checkIn(lease) }
    return try lease.engine.run(inputs, outputs: outputs)
  }

  /// A fixed-shape model's repeated runs use the first session (one per worker thread already
  /// owns its tensors; the sessions are shared, as without a pool).
  func repeater(inputs: [(ElementType, [Int])], outputs: [(index: Int, element: ElementType, shape: [Int])])
    -> (any RunRepeater)?
  {
    first.repeater(inputs: inputs, outputs: outputs)
  }

  /// An idle session, or else the first one shared, starting to make another when fewer than
  /// `limit` exist.
  func checkOut() -> Lease {
    let (idle, make) = state.withLock { state -> (OrtEngine?, Bool) in
      if let engine = state.idle.popLast() { return (engine, false) }
      guard !state.making, !state.makingFailed, state.made < limit else { return (nil, false) }
      state.making = true
      state.made += 1
      return (nil, true)
    }
    if let idle { return Lease(engine: idle, owned: true) }
    if make { OwnedThread { [self] in makeSession() }.detach() }
    return Lease(engine: first, owned: false)
  }

  /// Makes one more session and puts it in the idle list.
  private func makeSession() {
    let made = try? OrtEngine(session: first.session.sibling())
    state.withLock { state in
      state.making = false
      if let made {
        state.idle.append(made)
      } else {
        state.made -= 1
        state.makingFailed = true
      }
    }
  }

  /// Whether no session is being made (for tests, which wait for one).
  var isSettled: Bool { state.withLock { !$0.making } }

  /// Returns a session checked out by `checkOut` to the idle list.
  func checkIn(_ lease: Lease) {
    guard lease.owned else { return }
    state.withLock { $0.idle.append(lease.engine) }
  }
}
