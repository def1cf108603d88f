import OnnxPipeCore

#if canImport(Glibc)
  import Glibc
#endif

/// SIGINT and SIGTERM, handled on a thread of our own with `sigwait(3)`.
///
/// `blockTerminationSignals()` must run on the main thread before any other
/// thread starts, so every thread inherits the mask and only the watcher
/// thread receives them. The first signal calls the handler (stop reading,
/// flush what was read); a second one exits at once.
enum Signals {
  /// Blocks SIGINT and SIGTERM in the calling thread and ignores SIGPIPE, so
  /// writes to a closed pipe fail with EPIPE instead of killing us mid-write.
  static func blockTerminationSignals() {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &set, nil)
    signal(SIGPIPE, SIG_IGN)
  }

  /// Starts the watcher thread; `handler` runs on it for the first signal.
  static func watch(_ handler: @escaping @Sendable (Int32) -> Void) {
    OwnedThread {
      var set = sigset_t()
      sigemptyset(&set)
      sigaddset(&set, SIGINT)
      sigaddset(&set, SIGTERM)
      var first = true
      while true {
        var received: Int32 = 0
        guard sigwait(&set, &received) == 0 else { continue }
        if first {
          first = false
          handler(received)
        } else {
          _exit(128 + received)
        }
      }
    }.detach()
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
}
