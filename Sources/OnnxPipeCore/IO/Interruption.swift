#if canImport(Glibc)
  import Glibc
#endif

/// Lets another thread wake a source blocked in `poll(2)` on its input, so
/// it can hand over the records it holds before the stream ends (SIGINT,
/// SIGTERM). A self-pipe: `trigger()` writes a byte, the source polls the
/// read end next to its input.
public final class Interruption: Sendable {
  /// The end the source polls.
  public let readDescriptor: Int32
  private let writeDescriptor: Int32

  public init() {
    var descriptors: [Int32] = [-1, -1]
    precondition(pipe(&descriptors) == 0, "pipe(2) failed: errno \(errno)")
    readDescriptor = descriptors[0]
    writeDescriptor = descriptors[1]
  }

  deinit {
    close(readDescriptor)
    close(writeDescriptor)
  }

  /// Wakes the source; safe from any thread, any number of times.
  public func trigger() {
    var byte: UInt8 = 1
    _ = write(writeDescriptor, &byte, 1)
  }

  /// Whether `trigger()` has been called (non-blocking).
  public var isTriggered: Bool {
    var descriptor = pollfd(fd: readDescriptor, events: Int16(POLLIN), revents: 0)
    return poll(&descriptor, 1, 0) > 0
  }

  /// Waits until `input` is readable, this interruption fires, or `milliseconds`
  /// pass (-1: no limit). Returns whether input is readable and not interrupted.
  public func waitForInput(_ input: FileDescriptor, milliseconds: Int32) -> Bool {
    var descriptors = [
      pollfd(fd: input.rawValue, events: Int16(POLLIN), revents: 0),
      pollfd(fd: readDescriptor, events: Int16(POLLIN), revents: 0),
    ]
    while true {
      let ready = poll(&descriptors, 2, milliseconds)
      if ready < 0 && errno == EINTR { continue }
      return ready > 0 && descriptors[1].revents == 0 && descriptors[0].revents != 0
    }
  }
}
