import OnnxPipeCore
import OnnxRuntime
import Synchronization

/// Runs a model on a session of its own for each worker thread running it at
/// the same time, for models whose kernels keep state that concurrent runs
/// on one session contend on (`ModelGraph.contendedOperators`: RE2's caches,
/// a locale). Everything else shares one session between its workers.
///
/// Sessions are checked out for one run and checked back in. The first
/// session is the one loaded at start-up (or on a reload); another is made,
/// from the same bytes (`Session.sibling()`), the first time more runs
/// overlap than there are idle sessions, up to `limit` (the workers). So a
/// stream one worker keeps up with never loads a second copy, and a reload,
/// which builds a new engine, replaces every session at once.
///
/// ```
///   worker 1 --run--> checkOut -> session A (start-up) --checkIn--> idle: [A, B]
///   worker 2 --run--> checkOut -> session B (made on the first overlap)
/// ```
final class SessionPoolEngine: RepeatingEngine {
  /// A session checked out for a run; `owned` when it came from the idle list and goes back to it.
  struct Lease {
    let engine: OrtEngine
    let owned: Bool
  }

  private struct State {
    var idle: [OrtEngine]
    /// Sessions made so far, the first included (idle or checked out).
    var made: Int
    /// Whether making a session failed: the runs then share the first one from then on.
    var makingFailed = false
  }

  let signature: ModelSignature
  /// The session loaded first; also the one runs share when no other can be made.
  private let first: OrtEngine
  let limit: Int
  private let state: Locked<State>

  /// - Parameter limit: the most sessions to hold (the workers, within `ScoreCommand.sessionBudget`); at least 1.
  init(session: Session, limit: Int) {
    first = OrtEngine(session: session)
    signature = first.signature
    self.limit = max(limit, 1)
    state = Locked(State(idle: [first], made: 1))
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

  /// An idle session, a new one when none is idle and fewer than `limit` exist, or else the
  /// first one shared (ONNX Runtime's Run is thread-safe: sharing is slower, never wrong).
  func checkOut() -> Lease {
    enum Step {
      case use(OrtEngine)
      case make
      case share
    }
    let step = state.withLock { state -> Step in
      if let engine = state.idle.popLast() { return .use(engine) }
      guard !state.makingFailed, state.made < limit else { return .share }
      state.made += 1
      return .make
    }
    switch step {
    case .use(let engine): return Lease(engine: engine, owned: true)
    case .share: return Lease(engine: first, owned: false)
    case .make:
      // Loaded outside the lock: the other workers keep checking sessions in and out meanwhile.
      do {
        return Lease(engine: OrtEngine(session: try first.session.sibling()), owned: true)
      } catch {
        state.withLock {
          $0.made -= 1
          $0.makingFailed = true
        }
        return Lease(engine: first, owned: false)
      }
    }
  }

  /// Returns a session checked out by `checkOut` to the idle list.
  func checkIn(_ lease: Lease) {
    guard lease.owned else { return }
    state.withLock { $0.idle.append(lease.engine) }
  }
}
