import OnnxPipeCore
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// SIGINT, SIGTERM, SIGHUP and SIGUSR1, handled on a thread of our own with `sigwait(3)`.
///
/// `blockTerminationSignals()` must run on the main thread before any other
/// thread starts, so every thread inherits the mask and only the watcher
/// thread receives them; `startWatching()` starts that thread at once, so a
/// signal is never left pending whatever the program is doing.
///
/// What a signal does depends on the state the program is in:
///
/// ```
///   no pipeline yet (model loading,      -> exit 128+N at once: nothing was scored
///   waiting for a CSV header or schema)
///   pipeline running                     -> stop reading; score and write what was
///                                           read; exit 128+N when it is written
///     ... output stalled for `stallLimit` -> exit 128+N (a reader downstream that
///                                           stopped reading would hold us for ever)
///   a second signal                      -> exit 128+N at once
/// ```
enum Signals {
  /// How long output may make no progress after a signal before we give up on flushing it.
  static let stallLimitNanoseconds: UInt64 = 2_000_000_000

  /// What the first signal does while a pipeline runs, and how its progress is read.
  private struct Handler: Sendable {
    var interrupt: @Sendable (Int32) -> Void
    var progress: @Sendable () -> Int
  }

  /// What SIGHUP (reload the model) and SIGUSR1 (print the statistics) do; ignored until set.
  private struct Hooks: Sendable {
    var reload: (@Sendable () -> Void)?
    var status: (@Sendable () -> Void)?
  }

  private static let handler = Locked<Handler?>(nil)
  private static let hooks = Locked(Hooks())

  /// Blocks SIGINT, SIGTERM, SIGHUP and SIGUSR1 in the calling thread and
  /// ignores SIGPIPE, so writes to a closed pipe fail with EPIPE instead of
  /// killing us mid-write.
  static func blockTerminationSignals() {
    var set = watchedSet()
    pthread_sigmask(SIG_BLOCK, &set, nil)
    signal(SIGPIPE, SIG_IGN)
  }

  /// While a pipeline runs, the first signal calls `interrupt` instead of
  /// exiting; `progress` is any count that grows while output is written.
  static func onInterrupt(
    _ interrupt: @escaping @Sendable (Int32) -> Void, progress: @escaping @Sendable () -> Int
  ) {
    handler.withLock { $0 = Handler(interrupt: interrupt, progress: progress) }
  }

  /// SIGHUP calls `reload`, SIGUSR1 calls `status`, on the watcher thread (they must not block long).
  static func onReloadAndStatus(reload: (@Sendable () -> Void)?, status: (@Sendable () -> Void)?) {
    hooks.withLock { $0 = Hooks(reload: reload, status: status) }
  }

  /// Starts the watcher thread (once, from `main`).
  static func startWatching() {
    OwnedThread {
      var set = watchedSet()
      var received: Int32 = 0
      while true {
        while sigwait(&set, &received) != 0 {}
        if handleHook(received) { continue }
        guard let current = handler.withLock({ $0 }) else { _exit(128 + received) }
        current.interrupt(received)
        flush(current, signal: received, &set)
      }
    }.detach()
  }

  /// Waits for the run to end after an interrupt: exits on a second INT or TERM, or when
  /// output stalls; HUP and USR1 keep working meanwhile.
  private static func flush(_ current: Handler, signal received: Int32, _ set: inout sigset_t) -> Never {
    var last = current.progress()
    var lastChange = monotonicNanoseconds()
    while true {
      var timeout = timespec(tv_sec: 0, tv_nsec: 100_000_000)
      let again = sigtimedwait(&set, nil, &timeout)
      if again > 0 && !handleHook(again) { _exit(128 + again) }
      let now = current.progress()
      if now != last {
        last = now
        lastChange = monotonicNanoseconds()
      } else if monotonicNanoseconds() - lastChange > stallLimitNanoseconds {
        _exit(128 + received)
      }
    }
  }

  /// Runs the hook for SIGHUP or SIGUSR1; false for the termination signals.
  private static func handleHook(_ signal: Int32) -> Bool {
    switch signal {
    case SIGHUP:
      hooks.withLock { $0.reload }?()
      return true
    case SIGUSR1:
      hooks.withLock { $0.status }?()
      return true
    default:
      return false
    }
  }

  /// Ends the process the way a filter does when its reader has gone: by SIGPIPE.
  static func dieOfBrokenPipe() -> Never {
    signal(SIGPIPE, SIG_DFL)
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGPIPE)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    raise(SIGPIPE)
    _exit(128 + SIGPIPE)
  }

  private static func watchedSet() -> sigset_t {
    var set = sigset_t()
    sigemptyset(&set)
    for signal in [SIGINT, SIGTERM, SIGHUP, SIGUSR1] { sigaddset(&set, signal) }
    return set
  }
}
