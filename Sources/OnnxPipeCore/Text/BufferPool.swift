/// Batch payloads handed back for reuse. The text reader fills a payload, a
/// worker gives it back once the batch is written, and a later batch is read
/// into the same memory: pages already mapped, where a fresh allocation of
/// each batch page-faulted its way in (a third of the reader thread's time on
/// 32-float NDJSON rows).
public final class BufferPool: @unchecked Sendable {
  // @unchecked Sendable: `buffers` is only touched with `lock` held. A pthread lock (the
  // pipeline's), not Synchronization.Mutex: ThreadSanitizer does not see Mutex's futex
  // hand-off on Linux and reported the reader's and a worker's turns as a race.
  private let lock = ConditionLock(conditions: 0)
  private var buffers: [[UInt8]] = []
  /// Buffers kept at most; one given back beyond that is freed.
  public let limit: Int

  public init(limit: Int = 4) {
    self.limit = limit
  }

  /// An empty array with room for `minimumCapacity` bytes, in a returned buffer's memory when there is one.
  public func take(minimumCapacity: Int) -> [UInt8] {
    // The oldest first: the batch that held it is the likeliest to be gone, so no copy-on-write.
    var buffer = lock.withLock { buffers.isEmpty ? [] : buffers.removeFirst() }
    buffer.removeAll(keepingCapacity: true)
    buffer.reserveCapacity(minimumCapacity)
    return buffer
  }

  /// Gives `buffer` back once nothing will read it again.
  public func give(_ buffer: [UInt8]) {
    guard buffer.capacity > 0 else { return }
    lock.withLock { if buffers.count < limit { buffers.append(buffer) } }
  }

  /// Buffers held now (for tests).
  var count: Int { lock.withLock { buffers.count } }
}
