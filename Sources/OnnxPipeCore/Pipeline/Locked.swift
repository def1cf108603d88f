/// A value behind a pthread mutex: `withLock` lends the body the value to read and change.
///
/// Used instead of the standard library's `Mutex`, which on Linux locks with futex calls that
/// ThreadSanitizer does not see: under `make sanitize` every contended `Mutex` was reported as a
/// Swift access race (four threads incrementing one `Mutex<Int>` reproduce it), and a run of
/// `SessionPoolEngineTests` failed the sanitizer job that way (`BufferPool` had met it before).
/// TSan follows pthread mutexes.
public final class Locked<Value>: @unchecked Sendable {
  // @unchecked Sendable: `value` is only reached inside `withLock`, under `lock`.
  private let lock = ConditionLock(conditions: 0)
  private var value: Value

  public init(_ value: Value) { self.value = value }

  /// Runs `body` on the value with the lock held.
  public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result)
    throws(Failure)
    -> Result
  {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
}
