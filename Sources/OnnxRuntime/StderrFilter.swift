#if canImport(Glibc)
  import Glibc
#endif

/// Keeps ONNX Runtime's start-up noise off our stderr.
///
/// Debian's libonnxruntime 1.21 prints several hundred lines of
/// `Schema error: Trying to register schema with name ... already registered`
/// when the first session is created (ONNX's operator schemas are registered
/// twice, once by libonnx and once by ONNX Runtime). A filter in a log
/// pipeline must not spam stderr, so while `body` runs, fd 2 points at a
/// temporary file; afterwards every line that is not that known noise is
/// passed through to the real stderr.
public enum StderrFilter {
  /// The prefix of the known noise lines.
  public static let noisePrefix = "Schema error: Trying to register schema with name "

  /// fd 2 is process-wide: two overlapping captures would restore each other's
  /// temporary file as stderr, so captures take turns.
  // nonisolated(unsafe): the pointer never changes; the mutex it points to is
  // only used through pthread calls, which are thread-safe.
  nonisolated(unsafe) private static let turn: UnsafeMutablePointer<pthread_mutex_t> = {
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    return mutex
  }()

  /// Runs `body` with fd 2 captured, then writes what it printed, less the noise, to fd 2.
  /// Concurrent callers are serialised.
  public static func run<R>(_ body: () throws -> R) rethrows -> R {
    pthread_mutex_lock(turn)
    defer { pthread_mutex_unlock(turn) }
    return try capturing(body)
  }

  /// Runs `body` while no capture is in progress (for tests that look at fd 2).
  static func betweenCaptures<R>(_ body: () throws -> R) rethrows -> R {
    pthread_mutex_lock(turn)
    defer { pthread_mutex_unlock(turn) }
    return try body()
  }

  private static func capturing<R>(_ body: () throws -> R) rethrows -> R {
    guard let capture = tmpfile() else { return try body() }
    defer { fclose(capture) }
    let saved = dup(2)
    guard saved >= 0, dup2(fileno(capture), 2) >= 0 else { return try body() }
    defer {
      dup2(saved, 2)
      close(saved)
      passThrough(capture)
    }
    return try body()
  }

  /// The lines of `text` that are not noise, noise's trailing blank lines included.
  public static func filter(_ text: String) -> String {
    String(decoding: filter(bytes: Array(text.utf8)), as: UTF8.self)
  }

  /// `filter` on bytes: lines are split at '\n' bytes, never decoded (the
  /// noise is several hundred lines at every start-up; splitting them as
  /// Characters cost more than 40 M instructions a process).
  static func filter(bytes: [UInt8]) -> [UInt8] {
    let prefix = Array(noisePrefix.utf8)
    var kept: [ArraySlice<UInt8>] = []
    var afterNoise = false
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
      if line.starts(with: prefix) {
        afterNoise = true
      } else if line.isEmpty && afterNoise {
        continue
      } else {
        afterNoise = false
        kept.append(line)
      }
    }
    while kept.last?.isEmpty == true { kept.removeLast() }
    guard !kept.isEmpty else { return [] }
    return Array(kept.joined(separator: [0x0A])) + [0x0A]
  }

  private static func passThrough(_ capture: UnsafeMutablePointer<FILE>) {
    rewind(capture)
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = fread(&chunk, 1, chunk.count, capture)
      if count == 0 { break }
      bytes.append(contentsOf: chunk[0..<count])
    }
    var remaining = filter(bytes: bytes)[...]
    while !remaining.isEmpty {
      let count = remaining.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return }
      remaining = remaining.dropFirst(count)
    }
  }
}
