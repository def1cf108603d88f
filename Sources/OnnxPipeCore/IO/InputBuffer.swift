/// A growable byte buffer with a read cursor, filled from a file descriptor
/// and drained by decoders.
///
/// `read*` moves the cursor; `peek*` does not; both return nil when not enough
/// bytes are buffered yet and leave the cursor where it was.
public struct InputBuffer {
  private var storage: [UInt8]
  private(set) var readerIndex = 0
  private(set) var writerIndex = 0

  /// Bytes consumed from the stream before the current cursor (for error positions).
  public private(set) var streamOffset: UInt64 = 0

  public init(capacity: Int = 1 << 16) {
    storage = [UInt8](repeating: 0, count: max(capacity, 16))
  }

  /// Bytes buffered and not yet read.
  public var readableBytes: Int { writerIndex - readerIndex }

  /// Appends `bytes` (used by tests and by in-memory sources).
  public mutating func write(_ bytes: some Collection<UInt8>) {
    reserveWritable(bytes.count)
    storage.replaceSubrange(writerIndex..<writerIndex + bytes.count, with: bytes)
    writerIndex += bytes.count
  }

  /// Makes room for at least `count` more bytes, moving unread bytes to the front first.
  public mutating func reserveWritable(_ count: Int) {
    if storage.count - writerIndex >= count { return }
    if readerIndex > 0 {
      let unread = readableBytes
      storage.withUnsafeMutableBytes { raw in
        // copyMemory is memmove: the regions may overlap.
        raw.baseAddress!.copyMemory(from: raw.baseAddress! + readerIndex, byteCount: unread)
      }
      readerIndex = 0
      writerIndex = unread
    }
    if storage.count - writerIndex < count {
      storage.append(contentsOf: repeatElement(0, count: writerIndex + count - storage.count))
    }
  }

  /// Lets `body` write into the free space (at least `minimum` bytes) and
  /// commits the count it returns. Returns that count.
  public mutating func writeWithUnsafeMutableBytes(
    minimum: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Int
  ) rethrows -> Int {
    reserveWritable(minimum)
    let start = writerIndex
    let written = try storage.withUnsafeMutableBytes { raw in
      try body(UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
    }
    precondition(
      written >= 0 && written <= storage.count - start, "wrote \(written) bytes into \(storage.count - start)"
    )
    writerIndex += written
    return written
  }

  /// Calls `body` with the readable bytes; they must not escape.
  public func withReadableBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try storage.withUnsafeBytes { raw in
      try body(UnsafeRawBufferPointer(rebasing: raw[readerIndex..<writerIndex]))
    }
  }

  /// Skips `count` readable bytes.
  public mutating func skip(_ count: Int) {
    moveReaderIndex(by: count)
  }

  /// The little-endian `UInt32` at the cursor, without moving it.
  public func peekUInt32LE() -> UInt32? {
    guard readableBytes >= 4 else { return nil }
    return storage.withUnsafeBytes { raw in
      UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: readerIndex, as: UInt32.self))
    }
  }

  /// Reads a little-endian `UInt32`, or nil when fewer than 4 bytes are buffered.
  public mutating func readUInt32LE() -> UInt32? {
    guard let value = peekUInt32LE() else { return nil }
    moveReaderIndex(by: 4)
    return value
  }

  /// Copies up to `destination.count` buffered bytes into `destination`; returns the count.
  public mutating func readBytes(into destination: UnsafeMutableRawBufferPointer) -> Int {
    let count = min(destination.count, readableBytes)
    guard count > 0 else { return 0 }
    storage.withUnsafeBytes { raw in
      destination.baseAddress!.copyMemory(from: raw.baseAddress! + readerIndex, byteCount: count)
    }
    moveReaderIndex(by: count)
    return count
  }

  /// Appends `count` buffered bytes to `array` in one copy; false (nothing
  /// read) when fewer are buffered.
  public mutating func read(_ count: Int, appendingTo array: inout [UInt8]) -> Bool {
    guard readableBytes >= count else { return false }
    storage.withUnsafeBytes { raw in
      array.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[readerIndex..<readerIndex + count]))
    }
    moveReaderIndex(by: count)
    return true
  }

  /// Reads `count` bytes as an array, or nil when fewer are buffered.
  public mutating func readBytes(_ count: Int) -> [UInt8]? {
    guard readableBytes >= count else { return nil }
    let bytes = Array(storage[readerIndex..<readerIndex + count])
    moveReaderIndex(by: count)
    return bytes
  }

  private mutating func moveReaderIndex(by count: Int) {
    precondition(count <= readableBytes, "moving cursor by \(count) past \(readableBytes) readable bytes")
    readerIndex += count
    streamOffset += UInt64(count)
    if readerIndex == writerIndex {
      readerIndex = 0
      writerIndex = 0
    }
  }
}
