#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file descriptor we read from or write to, with the retry rules of
/// `read(2)` and `write(2)` in one place. Does not own (close) the descriptor.
public struct FileDescriptor: Sendable, Equatable {
  public let rawValue: Int32

  public init(rawValue: Int32) { self.rawValue = rawValue }

  public static let standardInput = FileDescriptor(rawValue: 0)
  public static let standardOutput = FileDescriptor(rawValue: 1)
  public static let standardError = FileDescriptor(rawValue: 2)

  /// `read(2)` into `buffer`, retried on EINTR. Returns 0 at end of input.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(PipeError) -> Int {
    while true {
      let count = Glibc.read(rawValue, buffer.baseAddress, buffer.count)
      if count >= 0 { return count }
      if errno == EINTR { continue }
      throw PipeError(.io, "cannot read input: \(String(cString: strerror(errno)))")
    }
  }

  /// `write(2)` of all of `bytes`, retried on EINTR and short writes.
  /// EPIPE becomes `.brokenPipe` so the caller can stop quietly.
  public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(PipeError) {
    var offset = 0
    while offset < bytes.count {
      let count = Glibc.write(rawValue, bytes.baseAddress! + offset, bytes.count - offset)
      if count >= 0 {
        offset += count
        continue
      }
      switch errno {
      case EINTR: continue
      case EPIPE: throw PipeError(.brokenPipe, "output closed (broken pipe)")
      default: throw PipeError(.io, "cannot write output: \(String(cString: strerror(errno)))")
      }
    }
  }

  /// `writev(2)` of all of `parts` in order, retried on EINTR and short writes
  /// (a short write goes on from the byte where it stopped). EPIPE becomes `.brokenPipe`.
  public func writeAll(_ parts: [[UInt8]]) throws(PipeError) {
    var vectors: [iovec] = []
    vectors.reserveCapacity(parts.count)
    var failure: PipeError?
    // Each part's storage stays put while its closure runs: the vectors are made and used inside.
    func withVectors(_ index: Int) {
      guard index < parts.count else {
        do throws(PipeError) { try writeVectors(&vectors) } catch { failure = error }
        return
      }
      parts[index].withUnsafeBytes { raw in
        if raw.count > 0 {
          vectors.append(
            iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count))
        }
        withVectors(index + 1)
      }
    }
    withVectors(0)
    if let failure { throw failure }
  }

  /// Writes every byte `vectors` point at, consuming them.
  private func writeVectors(_ vectors: inout [iovec]) throws(PipeError) {
    var first = 0
    while first < vectors.count {
      let count = vectors.withUnsafeBufferPointer { buffer in
        Glibc.writev(rawValue, buffer.baseAddress! + first, Int32(min(buffer.count - first, 1024)))
      }
      if count < 0 {
        switch errno {
        case EINTR: continue
        case EPIPE: throw PipeError(.brokenPipe, "output closed (broken pipe)")
        default: throw PipeError(.io, "cannot write output: \(String(cString: strerror(errno)))")
        }
      }
      var written = count
      while first < vectors.count && written >= vectors[first].iov_len {
        written -= vectors[first].iov_len
        first += 1
      }
      if written > 0 {
        vectors[first].iov_base += written
        vectors[first].iov_len -= written
      }
    }
  }

  /// Writes all of `text` as UTF-8.
  public func writeAll(_ text: String) throws(PipeError) {
    var bytes = Array(text.utf8)
    var failure: PipeError?
    bytes.withUnsafeMutableBytes { raw in
      do throws(PipeError) { try writeAll(UnsafeRawBufferPointer(raw)) } catch { failure = error }
    }
    if let failure { throw failure }
  }

  /// Whether the descriptor is a terminal (`isatty(3)`).
  public var isTerminal: Bool { isatty(rawValue) == 1 }

  /// Grows the kernel's buffer of the pipe this descriptor is an end of to `bytes`, never
  /// shrinking it. Nothing for other files, or where the system refuses: an unprivileged
  /// process is held to /proc/sys/fs/pipe-max-size (1 MiB by default) and to its user's share
  /// of pipe memory. Returns the buffer's size after; nil when not a pipe.
  @discardableResult
  public func growPipeBuffer(to bytes: Int) -> Int? {
    #if os(Linux)
      // <fcntl.h>, Linux: F_SETPIPE_SZ and F_GETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7 and + 8).
      let setSize: Int32 = 1031
      let getSize: Int32 = 1032
      var status = stat()
      guard fstat(rawValue, &status) == 0, status.st_mode & S_IFMT == S_IFIFO else { return nil }
      let current = fcntl(rawValue, getSize)
      guard current >= 0 else { return nil }
      if Int(current) < bytes { _ = fcntl(rawValue, setSize, Int32(clamping: bytes)) }
      let after = fcntl(rawValue, getSize)
      return after >= 0 ? Int(after) : nil
    #else
      return nil
    #endif
  }
}

/// Writes to a file descriptor: the pipeline's normal sink.
public struct FileDescriptorSink: OutputSink {
  public let descriptor: FileDescriptor

  public init(_ descriptor: FileDescriptor) { self.descriptor = descriptor }

  public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(PipeError) {
    try descriptor.writeAll(bytes)
  }

  /// One `writev(2)` for all the parts (more when the kernel takes fewer bytes).
  public mutating func write(parts: [[UInt8]]) throws(PipeError) {
    try descriptor.writeAll(parts)
  }
}

extension InputBuffer {
  /// One `read(2)` from `input` into the free space (at least `minimum` bytes).
  /// Returns the bytes read; 0 means end of input.
  public mutating func read(from input: FileDescriptor, minimum: Int) throws(PipeError) -> Int {
    var failure: PipeError?
    let count = writeWithUnsafeMutableBytes(minimum: minimum) { raw in
      do throws(PipeError) { return try input.read(into: raw) } catch {
        failure = error
        return 0
      }
    }
    if let failure { throw failure }
    return count
  }
}
