import OnnxPipeCore

#if canImport(Glibc)
  import Glibc
#endif

/// The validated options of a scoring run.
public struct ScoreOptions: Sendable, Equatable {
  public var modelPath: String
  /// The files after MODEL, read in order as one stream (`-`: standard input); none: standard input.
  public var inputPaths: [String]
  public var workers: Int
  public var intraThreads: Int
  public var queueDepth: Int
  /// `--outputs` (nil: every output); the formats add the `--model-field` output to them.
  public var outputs: [String]?
  public var pinnedDimensions: [String: Int]
  public var maxFrameBytes: Int
  public var optimization: String
  public var progress: Bool
  public var stats: Bool
  /// `--force`: write binary output (raw frames, Arrow) to a terminal too.
  public var force: Bool
  /// `raw`, or a text input format.
  public var input: String
  /// `raw`, or a text output format.
  public var output: String
  public var keep: Bool
  public var fields: [String: String]
  public var columns: [String]?
  public var batchSize: Int
  public var maxDelayMilliseconds: Int
  public var onError: OnErrorPolicy
  public var errorsPath: String?
  public var maxRecordBytes: Int
  /// `--batch-rows`: rows per model run raw frames are merged or cut to;
  /// nil chooses on the stream's first runs (`auto`), 0 runs each frame as it comes (`off`).
  public var batchRows: Int?
  /// `--workers auto` or `--intra-threads auto`: measure both thread layouts at start-up.
  public var threadsAuto: Bool
  /// Whether `--queue-depth` was given (else it follows the workers chosen).
  public var queueDepthGiven: Bool
  /// `--header`, `--no-header`, or neither (detect).
  public var csvHeader: CSVHeaderPolicy
  /// `--prefix`: put before every output's name.
  public var outputPrefix: String
  /// `--deterministic`: no result may depend on how records were batched.
  public var deterministic: Bool
  /// `--watch`: reload the model when its file changes.
  public var watch: Bool
  /// `--model-field`: the output field that names the scoring model.
  public var modelField: String?
  /// `--metrics` and `--metrics-interval` (seconds).
  public var metricsPath: String?
  public var metricsInterval: Double
  /// `--missing`: what a missing value becomes (the model's graph decides `auto`: `missingPolicy(for:)`).
  public var missing: MissingValuePolicy

  /// Whether records are text (NDJSON, CSV, lines) rather than raw frames or Arrow.
  public var isText: Bool { input != "raw" && input != "arrow" }

  /// Validates `parsed` for the score command.
  public init(_ parsed: ParsedArguments) throws(PipeError) {
    guard let model = parsed.positionals.first else { throw PipeError(.usage, "no MODEL given") }
    modelPath = model
    inputPaths = try inputFiles(parsed)
    let both = parsed.value("format")
    input = parsed.value("in") ?? both ?? "raw"
    guard ["raw", "ndjson", "csv", "lines", "arrow"].contains(input) else {
      let option = parsed.has("in") ? "in" : "format"
      throw PipeError(
        .usage, "--\(option): unknown format '\(input)' (known: raw, arrow, ndjson, csv, lines)")
    }
    let defaultOutput = ["raw", "arrow"].contains(input) ? input : "ndjson"
    output = parsed.value("out") ?? (both == "lines" ? nil : both) ?? defaultOutput
    guard ["raw", "ndjson", "csv", "arrow"].contains(output) else {
      let option = parsed.has("out") ? "out" : "format"
      throw PipeError(.usage, "--\(option): unknown format '\(output)' (known: raw, arrow, ndjson, csv)")
    }
    keep = parsed.has("keep")
    fields = [:]
    for item in parsed.values["input"] ?? [] {
      let parts = item.split(separator: "=", maxSplits: 1)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw PipeError(.usage, "--input: expected NAME=FIELD, got '\(item)'")
      }
      fields[String(parts[0])] = String(parts[1])
    }
    columns = try parsed.value("columns").map { (list) throws(PipeError) in
      let names = list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      if names.contains(where: \.isEmpty) { throw PipeError(.usage, "--columns: empty name in '\(list)'") }
      return names
    }
    batchSize = try positiveInt(parsed, "batch-size") ?? 1024
    maxDelayMilliseconds =
      try parsed.value("max-delay").map { (text) throws(PipeError) in
        guard let value = Int(text), value >= 0, value <= 3_600_000 else {
          throw PipeError(.usage, "--max-delay: expected milliseconds from 0 to 3600000, got '\(text)'")
        }
        return value
      } ?? 5
    let policy = parsed.value("on-error") ?? "fail"
    guard let onError = OnErrorPolicy(rawValue: policy) else {
      throw PipeError(.usage, "--on-error: expected fail, skip or null, got '\(policy)'")
    }
    self.onError = onError
    if output == "raw" && onError == .null {
      throw PipeError(
        .usage, "--on-error null with --out raw: raw frames have no nulls; use --on-error skip or fail")
    }
    errorsPath = parsed.value("errors")
    maxRecordBytes =
      try parsed.value("max-record-bytes").map { (text) throws(PipeError) in
        let size = try byteSize(text, option: "max-record-bytes")
        guard size >= 1 else { throw PipeError(.usage, "--max-record-bytes: must be at least 1") }
        return size
      } ?? (1 << 20)
    if input == "raw" {
      for option in [
        "keep", "input", "columns", "batch-size", "on-error", "errors", "max-record-bytes", "missing",
      ]
      where parsed.has(option) {
        throw PipeError(
          .usage, "--\(option) applies to text formats and Arrow (--in ndjson, csv, lines or arrow)")
      }
    }
    if output == "raw" && keep {
      // The outputs `--keep` works with for this input (OutputFormats): Arrow into Arrow, text
      // into NDJSON, and CSV or lines into CSV too.
      let keeping =
        switch input {
        case "arrow": "--out arrow"
        case "csv", "lines": "--out ndjson or csv"
        default: "--out ndjson"
        }
      throw PipeError(
        .usage, "--keep with --out raw: raw frames carry only the model's outputs; use \(keeping)")
    }
    if input == "arrow" {
      for option in ["batch-size", "max-delay", "max-record-bytes"] where parsed.has(option) {
        throw PipeError(.usage, "--\(option) applies to text formats (--in ndjson, csv or lines)")
      }
    }
    if parsed.has("columns") && input != "csv" && input != "arrow" && input != "ndjson" {
      throw PipeError(.usage, "--columns applies to --in csv, ndjson and arrow")
    }
    switch parsed.value("batch-rows") {
    case nil, "auto": batchRows = nil
    case "off": batchRows = 0
    default: batchRows = try positiveInt(parsed, "batch-rows", maximum: 1 << 24)
    }
    if parsed.has("batch-rows") && input != "raw" {
      throw PipeError(.usage, "--batch-rows applies to raw frames (text formats have --batch-size)")
    }
    threadsAuto = parsed.value("workers") == "auto" || parsed.value("intra-threads") == "auto"
    if threadsAuto {
      if let workers = parsed.value("workers"), workers != "auto" {
        throw PipeError(.usage, "--intra-threads auto chooses the workers too; drop --workers \(workers)")
      }
      if let intra = parsed.value("intra-threads"), intra != "auto" {
        throw PipeError(
          .usage, "--workers auto chooses the intra-op threads too; drop --intra-threads \(intra)")
      }
    }
    workers = threadsAuto ? onlineProcessors() : try positiveInt(parsed, "workers") ?? onlineProcessors()
    intraThreads = threadsAuto ? 1 : try positiveInt(parsed, "intra-threads") ?? 1
    queueDepthGiven = parsed.has("queue-depth")
    queueDepth = try positiveInt(parsed, "queue-depth") ?? 2 * workers
    outputs = try parsed.value("outputs").map { (list) throws(PipeError) in
      let names = list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      if names.contains(where: \.isEmpty) { throw PipeError(.usage, "--outputs: empty name in '\(list)'") }
      return names
    }
    pinnedDimensions = try dimensions(parsed)
    maxFrameBytes =
      try parsed.value("max-frame-bytes").map { (text) throws(PipeError) in
        try byteSize(text, option: "max-frame-bytes")
      }
      ?? (1 << 30)
    optimization = try optimizationLevel(parsed)
    progress = parsed.has("progress")
    stats = parsed.has("stats")
    if parsed.has("header") && parsed.has("no-header") {
      throw PipeError(.usage, "--header and --no-header contradict each other; give one")
    }
    csvHeader = parsed.has("no-header") ? .absent : parsed.has("header") ? .present : .detect
    if input != "csv", let option = ["header", "no-header"].first(where: parsed.has) {
      throw PipeError(.usage, "--\(option) applies to --in csv")
    }
    outputPrefix = parsed.value("prefix") ?? ""
    if outputPrefix.isEmpty == false && output == "raw" {
      throw PipeError(.usage, "--prefix names outputs in NDJSON, CSV and Arrow; raw frames carry no names")
    }
    deterministic = parsed.has("deterministic")
    force = parsed.has("force")
    watch = parsed.has("watch")
    modelField = parsed.value("model-field")
    if let field = modelField {
      guard !field.isEmpty else { throw PipeError(.usage, "--model-field: the field needs a name") }
      guard output != "raw" else {
        throw PipeError(
          .usage, "--model-field: raw frames have no fields; it adds one to NDJSON, CSV and Arrow records")
      }
    }
    metricsPath = parsed.value("metrics")
    metricsInterval =
      try parsed.value("metrics-interval").map { (text) throws(PipeError) in
        guard let seconds = Double(text), seconds >= 0.1, seconds <= 86_400 else {
          throw PipeError(.usage, "--metrics-interval: expected seconds from 0.1 to 86400, got '\(text)'")
        }
        return seconds
      } ?? 10
    missing = try missingOption(parsed)
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
func byteSize(_ text: String, option: String) throws(PipeError) -> Int {
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
      .usage, "--\(option): expected a size up to 4G such as 1048576, 64M or 1G, got '\(text)'")
  }
  return value * scale
}

/// Online CPUs (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1.
func onlineProcessors() -> Int {
  max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}
