import OnnxPipeCore
import OnnxRuntime
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Opens a model file as a session, turning every way that can fail into a
/// `PipeError` with the right kind and a hint.
enum ModelLoader {
  /// Where start-up time went, for `--stats` (`startup_ms=`): creating ONNX Runtime's
  /// environment (once per process), and every load so far (the file checks, reading the graph,
  /// creating the session).
  struct Timing {
    var runtimeNanoseconds: UInt64 = 0
    var loadNanoseconds: UInt64 = 0
  }

  static let timing = Locked(Timing())

  static func load(
    path: String, intraThreads: Int = 1, optimization: String = "all"
  ) throws(PipeError) -> Session {
    // The environment is made by the first session otherwise; made here, it is timed apart.
    let runtimeStart = monotonicNanoseconds()
    StderrFilter.run { _ = Environment.shared }
    let start = monotonicNanoseconds()
    defer {
      let end = monotonicNanoseconds()
      timing.withLock {
        $0.runtimeNanoseconds += start - runtimeStart
        $0.loadNanoseconds += end - start
      }
    }
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw PipeError(.noInput, "cannot open model '\(path)': \(String(cString: strerror(errno)))")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw PipeError(.noInput, "cannot open model '\(path)': not a regular file")
    }
    guard access(path, R_OK) == 0 else {
      throw PipeError(.noInput, "cannot open model '\(path)': \(String(cString: strerror(errno)))")
    }
    let level: SessionOptions.Optimization =
      switch optimization {
      case "disabled": .disabled
      case "basic": .basic
      case "extended": .extended
      default: .all
      }
    let options = SessionOptions(intraOpThreads: intraThreads, optimization: level)
    // A model whose operators contend between workers sharing a session is loaded from its bytes,
    // kept so that each worker can have a session of exactly this model (`SessionPoolEngine`),
    // even if the file is replaced meanwhile. Failing that (external data), from the path.
    if intraThreads == 1,
      ModelGraph.operatorTypes(path: path)?.isDisjoint(with: ModelGraph.contendedOperators) == false,
      let bytes = readFile(path),
      let session = try? StderrFilter.run({ () throws(ORTError) -> Session in
        try Session(modelData: bytes, options: options)
      })
    {
      return session
    }
    do {
      return try StderrFilter.run { () throws(ORTError) -> Session in
        try Session(modelPath: path, options: options)
      }
    } catch let error as ORTError {
      let reason = diagnose(path: path) ?? explain(error.message)
      throw PipeError(.model, "cannot load model '\(path)': \(reason)")
    } catch {
      throw PipeError(.software, "cannot load model '\(path)': \(error)")
    }
  }

  /// The whole file at `path`, or nil if it cannot be read.
  static func readFile(_ path: String) -> [UInt8]? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0, let size = Int(exactly: info.st_size) else { return nil }
    var bytes = [UInt8](repeating: 0, count: size)
    let file = FileDescriptor(rawValue: descriptor)
    var filled = 0
    while filled < size {
      let count = bytes.withUnsafeMutableBytes { buffer in
        try? file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
      }
      guard let count, count > 0 else { return nil }
      filled += count
    }
    return bytes
  }

  /// ONNX Runtime's message on one line, led by what it means when we know:
  /// without its `Load model from PATH failed:` preamble and the C++ source
  /// location (`./onnxruntime/core/graph/model.cc:165 onnxruntime::Model::Model(...)`).
  static func explain(_ message: String) -> String {
    let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    if oneLine.contains("locale::facet") || oneLine.contains("StringNormalizer") && oneLine.contains("locale")
    {
      return oneLine
        + " (the en_US.UTF-8 locale is missing: install 'locales' and run locale-gen, or 'make deps')"
    }
    var text = Substring(oneLine)
    if text.hasPrefix("Load model from "), let failed = text.firstRange(of: " failed:") {
      text = text[failed.upperBound...].drop { $0 == " " }
    }
    text = withoutSourceLocation(text)
    if text.hasPrefix("Fatal error: ") { text = text.dropFirst("Fatal error: ".count) }
    if text.hasSuffix(".") { text = text.dropLast() }
    if text.contains("Protobuf parsing failed") {
      return "not a valid ONNX model (protobuf parsing failed: the file is damaged, cut short or not a model)"
    }
    if text.contains("ModelProto does not have a graph") {
      return "not a valid ONNX model (\(text))"
    }
    if text.contains("is not a registered function/op") {
      return "the model uses an operator this ONNX Runtime (\(onnxRuntimeVersion)) does not have (\(text))"
    }
    if text.contains("Unsupported model IR version") {
      return "the model needs a newer ONNX Runtime than this one (\(onnxRuntimeVersion)) (\(text))"
    }
    return String(text)
  }

  /// `text` without a leading `FILE.cc:LINE FUNCTION(ARGS) ` as ONNX Runtime
  /// prefixes its C++ exceptions' messages with; unchanged when it has none.
  static func withoutSourceLocation(_ text: Substring) -> Substring {
    guard let space = text.firstIndex(of: " "), let colon = text[..<space].lastIndex(of: ":") else {
      return text
    }
    let file = text[..<colon]
    let line = text[text.index(after: colon)..<space]
    guard !line.isEmpty, line.allSatisfy(\.isASCII), line.allSatisfy(\.isNumber),
      [".cc", ".cpp", ".h", ".hpp", ".cu"].contains(where: { file.hasSuffix($0) })
    else { return text }
    // The function's signature (return type, name, arguments; `const` and a
    // `[with T = ...]` after), then a space and the message.
    var rest = text[text.index(after: space)...]
    guard let open = rest.firstIndex(of: "("), let close = matching(rest, from: open) else { return text }
    rest = rest[rest.index(after: close)...]
    for suffix in [" const", " noexcept"] where rest.hasPrefix(suffix) { rest = rest.dropFirst(suffix.count) }
    if rest.hasPrefix(" ["), let bracket = rest.firstIndex(of: "["), let end = matching(rest, from: bracket) {
      rest = rest[rest.index(after: end)...]
    }
    guard rest.hasPrefix(" ") else { return text }
    return rest.dropFirst()
  }

  /// The index of the bracket that closes the one at `start` in `text`.
  private static func matching(_ text: Substring, from start: Substring.Index) -> Substring.Index? {
    let open = text[start]
    let close: Character = open == "(" ? ")" : "]"
    var depth = 0
    for index in text[start...].indices {
      if text[index] == open { depth += 1 }
      if text[index] == close {
        depth -= 1
        if depth == 0 { return index }
      }
    }
    return nil
  }
}
