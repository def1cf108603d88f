#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A mutex with condition variables, for threads that block (ours never run
/// on Swift's cooperative pool). Owns its pthread objects.
final class ConditionLock: @unchecked Sendable {
  // @unchecked Sendable: the pthread objects are heap-allocated, never moved,
  // and only touched through pthread calls, which are thread-safe by contract.
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let conditions: UnsafeMutablePointer<pthread_cond_t>
  private let conditionCount: Int

  /// A lock with `conditions` condition variables, addressed by index.
  init(conditions: Int) {
    mutex = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    conditionCount = conditions
    self.conditions = .allocate(capacity: conditions)
    for index in 0..<conditions { pthread_cond_init(self.conditions + index, nil) }
  }

  deinit {
    for index in 0..<conditionCount { pthread_cond_destroy(conditions + index) }
    pthread_mutex_destroy(mutex)
    conditions.deallocate()
    mutex.deallocate()
  }

  func lock() { pthread_mutex_lock(mutex) }
  func unlock() { pthread_mutex_unlock(mutex) }

  /// Runs `body` with the lock held.
  func withLock<R>(_ body: () throws -> R) rethrows -> R {
    lock()
    defer { unlock() }
    return try body()
  }

  /// Waits on condition `index`; the lock must be held. May wake spuriously.
  func wait(_ index: Int) {
    precondition(index < conditionCount, "condition \(index) of \(conditionCount)")
    pthread_cond_wait(conditions + index, mutex)
  }

  func signal(_ index: Int) { pthread_cond_signal(conditions + index) }
  func broadcast(_ index: Int) { pthread_cond_broadcast(conditions + index) }
}

/// A thread we own, started with `pthread_create` and joined explicitly.
public final class OwnedThread: @unchecked Sendable {
  // @unchecked Sendable: `thread` is written once before init returns and only read by join().
  private var thread = pthread_t()
  private final class Box: @unchecked Sendable {
    // @unchecked Sendable: handed to exactly one new thread, never shared.
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
  }

  /// Starts `body` on a new thread.
  public init(_ body: @escaping @Sendable () -> Void) {
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    let result = pthread_create(
      &thread, nil,
      { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
      }, box)
    precondition(result == 0, "pthread_create failed with \(result)")
  }

  /// Waits for the thread to finish.
  public func join() { pthread_join(thread, nil) }

  /// Lets the thread finish on its own; it will never be joined.
  public func detach() { pthread_detach(thread) }
}
