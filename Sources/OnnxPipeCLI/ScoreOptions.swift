import OnnxPipeCore

#if canImport(Glibc)
  import Glibc
#endif

/// The validated options of a scoring run.
public struct ScoreOptions: Sendable, Equatable {
  public var modelPath: String
  public var workers: Int
  public var intraThreads: Int
  public var queueDepth: Int
  public var outputs: [String]?
  public var pinnedDimensions: [String: Int]
  public var maxFrameBytes: Int
  public var optimization: String
  public var progress: Bool
  public var stats: Bool

  /// Validates `parsed` for the score command.
  public init(_ parsed: ParsedArguments) throws(PipeError) {
    modelPath = try singleModel(parsed)
    if let format = parsed.value("format"), format != "raw" {
      throw PipeError(.usage, "--format: unknown format '\(format)' (known: raw)")
    }
    workers = try positiveInt(parsed, "workers") ?? onlineProcessors()
    intraThreads = try positiveInt(parsed, "intra-threads") ?? 1
    queueDepth = try positiveInt(parsed, "queue-depth") ?? 2 * workers
    outputs = try parsed.value("outputs").map { (list) throws(PipeError) in
      let names = list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      if names.contains(where: \.isEmpty) { throw PipeError(.usage, "--outputs: empty name in '\(list)'") }
      return names
    }
    pinnedDimensions = try dimensions(parsed)
    maxFrameBytes =
      try parsed.value("max-frame-bytes").map { (text) throws(PipeError) in try byteSize(text) }
      ?? (1 << 30)
    optimization = try optimizationLevel(parsed)
    progress = parsed.has("progress")
    stats = parsed.has("stats")
  }
}

/// Exactly one positional argument: the model path.
func singleModel(_ parsed: ParsedArguments) throws(PipeError) -> String {
  guard let model = parsed.positionals.first else { throw PipeError(.usage, "no MODEL given") }
  guard parsed.positionals.count == 1 else {
    throw PipeError(.usage, "unexpected argument '\(parsed.positionals[1])' (one MODEL only; input is stdin)")
  }
  return model
}

/// The value of `--name` as an integer from 1 to `maximum`, or nil when absent.
func positiveInt(_ parsed: ParsedArguments, _ name: String, maximum: Int = 1 << 20) throws(PipeError) -> Int?
{
  guard let text = parsed.value(name) else { return nil }
  guard let value = Int(text), value >= 1, value <= maximum else {
    throw PipeError(.usage, "--\(name): expected a whole number from 1 to \(maximum), got '\(text)'")
  }
  return value
}

/// `--dim NAME=SIZE` values.
func dimensions(_ parsed: ParsedArguments) throws(PipeError) -> [String: Int] {
  var pinned: [String: Int] = [:]
  for item in parsed.values["dim"] ?? [] {
    let parts = item.split(separator: "=", maxSplits: 1)
    guard parts.count == 2, !parts[0].isEmpty, let size = Int(parts[1]), size >= 1 else {
      throw PipeError(.usage, "--dim: expected NAME=SIZE with SIZE >= 1, got '\(item)'")
    }
    pinned[String(parts[0])] = size
  }
  return pinned
}

/// `--optimization` checked against the known levels.
func optimizationLevel(_ parsed: ParsedArguments) throws(PipeError) -> String {
  let level = parsed.value("optimization") ?? "all"
  guard ["disabled", "basic", "extended", "all"].contains(level) else {
    throw PipeError(.usage, "--optimization: expected disabled, basic, extended or all, got '\(level)'")
  }
  return level
}

/// A byte count with an optional K, M or G suffix (powers of 1024).
func byteSize(_ text: String) throws(PipeError) -> Int {
  var digits = Substring(text)
  var scale = 1
  switch digits.last?.uppercased() {
  case "K": scale = 1 << 10
  case "M": scale = 1 << 20
  case "G": scale = 1 << 30
  default: break
  }
  if scale != 1 { digits = digits.dropLast() }
  guard let value = Int(digits), value >= 0, value <= Int(UInt32.max) / scale else {
    throw PipeError(
      .usage, "--max-frame-bytes: expected a size up to 4G such as 1048576, 64M or 1G, got '\(text)'")
  }
  return value * scale
}

/// Online CPUs (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1.
func onlineProcessors() -> Int {
  max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}
