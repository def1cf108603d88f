/// The subcommands, each with its own options.
public enum Command: String, Sendable, CaseIterable {
  /// Score stdin to stdout (the default).
  case score
  /// Describe a model's inputs, outputs and frame layout.
  case inspect
  /// Run the model through the C API in a tight loop: the speed limit.
  case bench
}

/// One command-line option. The table below drives parsing, `--help`, and
/// the test that checks the man page documents every option.
public struct OptionSpec: Sendable {
  public let long: String
  public let short: Character?
  /// The value's placeholder (`N`, `LIST`), or nil for a flag.
  public let value: String?
  public let help: String
  public let commands: Set<Command>
  /// Whether the option may be given more than once (values accumulate).
  public let repeatable: Bool

  init(
    _ long: String, short: Character? = nil, value: String? = nil, repeatable: Bool = false,
    commands: Set<Command>, _ help: String
  ) {
    self.long = long
    self.short = short
    self.value = value
    self.help = help
    self.commands = commands
    self.repeatable = repeatable
  }
}

extension OptionSpec {
  /// Every option onnxpipe accepts.
  public static let table: [OptionSpec] = [
    OptionSpec(
      "format", short: "f", value: "FORMAT", commands: [.score],
      "Input and output format. Only 'raw' (length-prefixed tensor frames) for now."),
    OptionSpec(
      "workers", short: "j", value: "N", commands: [.score, .bench],
      "Worker threads running the model (default: online CPUs)."),
    OptionSpec(
      "intra-threads", value: "N", commands: [.score, .bench],
      "Threads one model run may use inside an operator (default: 1)."),
    OptionSpec(
      "queue-depth", value: "N", commands: [.score],
      "Batches read but not yet written, at most (default: 2 x workers). Bounds memory."),
    OptionSpec(
      "outputs", value: "LIST", commands: [.score],
      "Comma-separated outputs to write, in that order (default: every tensor output)."),
    OptionSpec(
      "dim", value: "NAME=SIZE", repeatable: true, commands: [.score, .inspect, .bench],
      "Pin the symbolic dimension NAME to SIZE (repeatable)."),
    OptionSpec(
      "max-frame-bytes", value: "SIZE", commands: [.score],
      "Refuse frames longer than SIZE bytes before allocating (default: 1G; K, M, G suffixes)."),
    OptionSpec(
      "optimization", value: "LEVEL", commands: [.score, .bench],
      "Graph optimization: disabled, basic, extended or all (default: all)."),
    OptionSpec(
      "progress", commands: [.score],
      "Show a live status line on stderr when stderr is a terminal."),
    OptionSpec(
      "stats", commands: [.score],
      "Print a summary on stderr at the end: rows, frames, time, rows/s, batch latency."),
    OptionSpec(
      "json", commands: [.inspect, .bench],
      "Print machine-readable JSON."),
    OptionSpec(
      "rows", value: "N", commands: [.bench],
      "Rows to score (default: 1000000)."),
    OptionSpec(
      "input", value: "FILE", commands: [.bench],
      "Score rows read from FILE (raw frames) instead of synthetic values."),
    OptionSpec(
      "batch", value: "N", commands: [.bench],
      "Rows per model run (default: 4096)."),
    OptionSpec(
      "help", short: "h", commands: [.score, .inspect, .bench],
      "Show this help and exit."),
    OptionSpec(
      "version", commands: [.score],
      "Show the version of onnxpipe and of ONNX Runtime, and exit."),
  ]
}
