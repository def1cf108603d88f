#if canImport(Glibc)
  import Glibc
#endif

/// Turns off Abseil's lock-order tracking inside ONNX Runtime's libraries.
///
/// Debian builds Abseil with its debug checks on, so every `absl::Mutex` lock
/// and unlock also updates a process-wide lock-order graph kept for deadlock
/// detection. RE2, behind the Tokenizer and regex operators that text models
/// use, takes such a lock on every match: on the TF-IDF log-line classifier
/// that bookkeeping was a fifth of all CPU time (31 % of samples in
/// libabsl_synchronization, 12 % without it; 200 k lines 2.29 -> 1.87 CPU s).
/// `absl::SetMutexDeadlockDetectionMode(kIgnore)` is a single atomic store,
/// allowed at any time; it stops only the detection of lock-order inversions,
/// a debugging aid, and leaves locking itself unchanged.
///
/// The switch is a C++ function, so it is looked up by its mangled name: the
/// names of the Abseil builds we know are tried in turn, and when none is
/// loaded nothing happens.
enum LockOrderTracking {
  /// `absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle)` as mangled
  /// without an inline namespace, and with Debian's (`absl::debianN::`).
  static let mangledNames: [String] =
    ["_ZN4absl29SetMutexDeadlockDetectionModeENS_15OnDeadlockCycleE"]
    + (1...30).map { version in
      let namespace = "debian\(version)"
      return
        "_ZN4absl\(namespace.utf8.count)\(namespace)29SetMutexDeadlockDetectionModeENS0_15OnDeadlockCycleE"
    }

  /// `absl::OnDeadlockCycle::kIgnore`.
  private static let ignore: Int32 = 0

  /// Sets the mode to `kIgnore`; returns whether the function was found.
  @discardableResult
  static func disable() -> Bool {
    typealias SetMode = @convention(c) (Int32) -> Void
    for name in mangledNames {
      if let symbol = dlsym(nil, name) {
        unsafeBitCast(symbol, to: SetMode.self)(ignore)
        return true
      }
    }
    return false
  }
}
