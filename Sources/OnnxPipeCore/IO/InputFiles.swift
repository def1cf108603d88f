import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The input of a scoring run as one file descriptor the readers take as
/// they take standard input: standard input itself, one file, or several
/// files (`-` for standard input) read in order as one stream, like `cat`.
///
/// Every file is opened before anything is read, so a missing one stops the
/// run before it starts (`.noInput`, naming it). One file is read directly.
/// Several are joined by a thread of ours that reads them in turn and writes
/// them into a pipe by the rules of a `StreamJoiner`:
///
///     a.csv ─┐
///     b.csv ─┼─ feeder thread (StreamJoiner) ─▶ pipe ─▶ descriptor ─▶ reader
///     -     ─┘
///
/// A file that cannot be read, or a CSV file whose header differs, ends the
/// stream there; `failure` then says which, and the run reports it in place
/// of whatever the truncated stream made the reader say.
public final class InputFiles: Sendable {
  /// What the readers read.
  public let descriptor: FileDescriptor
  /// The operands as given, in order.
  public let paths: [String]
  private let state: Locked<State>

  private struct State {
    var failure: PipeError?
    var joiner: StreamJoiner
  }

  /// Standard input: no files given.
  public static var standardInput: InputFiles {
    InputFiles(descriptor: .standardInput, paths: [], rule: .bytes)
  }

  private init(descriptor: FileDescriptor, paths: [String], rule: StreamJoiner.Rule) {
    self.descriptor = descriptor
    self.paths = paths
    state = Locked(State(failure: nil, joiner: StreamJoiner(rule: rule)))
  }

  /// Opens `paths` (at least one; `-` is standard input) to be read as one
  /// stream joined by `rule`.
  public static func open(
    _ paths: [String], rule: StreamJoiner.Rule, maxHeaderBytes: Int = 1 << 20
  ) throws(PipeError) -> InputFiles {
    precondition(!paths.isEmpty, "no files: use InputFiles.standardInput")
    var descriptors: [Int32] = []
    for path in paths {
      do throws(PipeError) { descriptors.append(try openForReading(path)) } catch {
        for descriptor in descriptors where descriptor != 0 { close(descriptor) }
        throw error
      }
    }
    if descriptors.count == 1 {
      return InputFiles(descriptor: FileDescriptor(rawValue: descriptors[0]), paths: paths, rule: .bytes)
    }
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else {
      throw PipeError(.io, "cannot make a pipe to join the input files: \(String(cString: strerror(errno)))")
    }
    for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    let files = InputFiles(descriptor: FileDescriptor(rawValue: ends[0]), paths: paths, rule: rule)
    files.state.withLock { $0.joiner = StreamJoiner(rule: rule, maxHeaderBytes: maxHeaderBytes) }
    let writeEnd = ends[1]
    let opened = descriptors
    OwnedThread { [files] in files.feed(opened, into: writeEnd) }.detach()
    return files
  }

  /// Why the stream ended early, or nil: read after the readers saw its end.
  public var failure: PipeError? { state.withLock { $0.failure } }

  /// `message` with the file named when several were joined: a leading
  /// `line N:` of the stream becomes the file and its own line (`b.csv: line
  /// 3: ...`); a leading `frame N (byte B):` gets the file and its own byte
  /// offset before it (`b.bin (byte 40): frame 3 (byte 176): ...`).
  public func locating(_ message: String) -> String {
    guard paths.count > 1 else { return message }
    if message.hasPrefix("line ") {
      let digits = message.dropFirst(5).prefix(while: \.isNumber)
      guard let line = Int(digits), message.dropFirst(5 + digits.count).hasPrefix(":"),
        let (file, own) = state.withLock({ $0.joiner.locate(line: line) })
      else { return message }
      return "\(paths[file]): line \(own)" + message.dropFirst(5 + digits.count)
    }
    if message.hasPrefix("frame "), let range = message.firstRange(of: " (byte ") {
      let digits = message[range.upperBound...].prefix(while: \.isNumber)
      guard let byte = Int(digits), let (file, own) = state.withLock({ $0.joiner.locate(byte: byte) }) else {
        return message
      }
      return "\(paths[file]) (byte \(own)): " + message
    }
    return message
  }

  /// The feeder: each file in turn into the pipe, then the pipe closed.
  private func feed(_ descriptors: [Int32], into writeEnd: Int32) {
    let output = FileDescriptor(rawValue: writeEnd)
    var chunk = [UInt8](repeating: 0, count: 1 << 18)
    defer {
      close(writeEnd)
      for descriptor in descriptors where descriptor != 0 { close(descriptor) }
    }
    for (index, descriptor) in descriptors.enumerated() {
      let path = paths[index]
      state.withLock { $0.joiner.startFile() }
      do throws(PipeError) {
        while true {
          let count = try read(descriptor, path, into: &chunk)
          let bytes = try join(path) { (joiner) throws(StreamJoiner.HeaderMismatch) in
            count == 0 ? try joiner.endFile() : try joiner.pass(chunk[..<count])
          }
          try write(bytes, to: output)
          if count == 0 { break }
        }
      } catch {
        // A broken pipe: the run stopped reading (an error, or the end of its output); nothing to report.
        if error.kind != .brokenPipe {
          state.withLock { $0.failure = error }
        }
        return
      }
    }
  }

  /// One `read(2)` of the file at `path` into `chunk`; 0 at its end.
  private func read(_ descriptor: Int32, _ path: String, into chunk: inout [UInt8]) throws(PipeError) -> Int {
    var failure: PipeError?
    let count = chunk.withUnsafeMutableBytes { raw in
      do throws(PipeError) { return try FileDescriptor(rawValue: descriptor).read(into: raw) } catch {
        failure = error
        return 0
      }
    }
    if let failure {
      throw PipeError(
        .io, "cannot read input file '\(path)': \(failure.message.split(separator: ": ").last ?? "")")
    }
    return count
  }

  private func write(_ bytes: [UInt8], to output: FileDescriptor) throws(PipeError) {
    var failure: PipeError?
    bytes.withUnsafeBytes { raw in
      do throws(PipeError) { try output.writeAll(raw) } catch { failure = error }
    }
    if let failure { throw failure }
  }

  /// Runs one step of the joiner; a header mismatch becomes an error naming the file.
  private func join(
    _ path: String, _ step: (inout StreamJoiner) throws(StreamJoiner.HeaderMismatch) -> [UInt8]
  ) throws(PipeError) -> [UInt8] {
    let result = state.withLock { (state) -> Result<[UInt8], StreamJoiner.HeaderMismatch> in
      do throws(StreamJoiner.HeaderMismatch) { return .success(try step(&state.joiner)) } catch {
        return .failure(error)
      }
    }
    switch result {
    case .success(let bytes): return bytes
    case .failure(let mismatch):
      throw PipeError(
        .data,
        "\(path): its first line '\(preview(mismatch.found))' is not the CSV header of the first file"
          + " ('\(preview(mismatch.expected))'); every file needs the same header (--no-header: none has one)"
      )
    }
  }
}

/// Opens `path` for reading (`-` is standard input); a directory or a missing
/// file is `.noInput`, naming it.
func openForReading(_ path: String) throws(PipeError) -> Int32 {
  if path == "-" { return 0 }
  let descriptor = open(path, O_RDONLY | O_CLOEXEC)
  guard descriptor >= 0 else {
    throw PipeError(.noInput, "cannot open input file '\(path)': \(String(cString: strerror(errno)))")
  }
  var status = stat()
  if fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
    close(descriptor)
    throw PipeError(.noInput, "cannot read input file '\(path)': it is a directory")
  }
  return descriptor
}

/// At most 60 characters of `bytes` as text, for a message.
private func preview(_ bytes: [UInt8]) -> String {
  let text = String(decoding: bytes.prefix(60), as: UTF8.self)
  return bytes.count > 60 ? text + "..." : text
}
