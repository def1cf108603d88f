/// Batch payloads handed back for reuse. The text reader fills a payload, a
/// worker gives it back once the batch is written, and a later batch is read
/// into the same memory: pages already mapped, where a fresh allocation of
/// each batch page-faulted its way in (a third of the reader thread's time on
/// 32-float NDJSON rows).
public final class BufferPool: Sendable {
  private let buffers = Locked<[[UInt8]]>([])
  /// Buffers kept at most; one given back beyond that is freed.
  public let limit: Int

  public init(limit: Int = 4) {
    self.limit = limit
  }

  /// An empty array with room for `minimumCapacity` bytes, in a returned buffer's memory when there is one.
  public func take(minimumCapacity: Int) -> [UInt8] {
    // The oldest first: the batch that held it is the likeliest to be gone, so no copy-on-write.
    var buffer = buffers.withLock { $0.isEmpty ? [] : $0.removeFirst() }
    buffer.removeAll(keepingCapacity: true)
    buffer.reserveCapacity(minimumCapacity)
    return buffer
  }

  /// Gives `buffer` back once nothing will read it again.
  public func give(_ buffer: [UInt8]) {
    guard buffer.capacity > 0 else { return }
    buffers.withLock { if $0.count < limit { $0.append(buffer) } }
  }

  /// Buffers held now (for tests).
  var count: Int { buffers.withLock { $0.count } }
}
