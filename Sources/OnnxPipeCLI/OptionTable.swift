/// The subcommands, each with its own options.
public enum Command: String, Sendable, CaseIterable {
  /// Score stdin to stdout (the default).
  case score
  /// Describe a model's inputs, outputs and frame layout.
  case inspect
  /// Run the model through the C API in a tight loop: the speed limit.
  case bench
  /// Print a shell completion script (`onnxpipe completions bash`).
  case completions
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
      "in", value: "FORMAT", commands: [.score],
      "Input format: raw (default), arrow, ndjson, csv or lines."),
    OptionSpec(
      "out", value: "FORMAT", commands: [.score],
      "Output format: raw, arrow, ndjson or csv, with any input (default: the input's for raw and arrow, else ndjson)."
    ),
    OptionSpec(
      "format", short: "f", value: "FORMAT", commands: [.score],
      "Set both --in and --out (raw, arrow, ndjson or csv)."),
    OptionSpec(
      "force", commands: [.score],
      "Write binary output (raw frames, Arrow) even when stdout is a terminal."),
    OptionSpec(
      "workers", short: "j", value: "N", commands: [.score, .bench],
      "Worker threads running the model (default: online CPUs); auto measures against --intra-threads."),
    OptionSpec(
      "intra-threads", value: "N", commands: [.score, .bench],
      "Threads one model run may use inside an operator (default: 1); auto: see --workers."),
    OptionSpec(
      "queue-depth", value: "N", commands: [.score],
      "Batches read but not yet written, at most (default: 2 x workers, up to 16 x while under 4 MiB). Bounds memory."
    ),
    OptionSpec(
      "keep", commands: [.score],
      "Write each input record with the outputs added (Arrow: input columns copied through)."),
    OptionSpec(
      "input", value: "NAME=FIELD", repeatable: true, commands: [.score],
      "Feed input NAME from FIELD (NDJSON dotted path, \\. for a dot in a name; CSV or Arrow column; repeatable)."
    ),
    OptionSpec(
      "missing", value: "POLICY", repeatable: true, commands: [.score],
      "Text and Arrow: null, NaN, NA, an empty CSV field become NaN where the model takes NaN as missing (auto), in every float input (nan), or fail (error); NAME=VALUE fills input NAME."
    ),
    OptionSpec(
      "columns", value: "LIST", commands: [.score],
      "CSV, NDJSON and Arrow: the columns (NDJSON: fields, one value each) feeding the inputs, in model order (default: every numeric column)."
    ),
    OptionSpec(
      "header", commands: [.score],
      "CSV: the first line is the header, even when every field of it is a number."),
    OptionSpec(
      "no-header", commands: [.score],
      "CSV: there is no header line; columns are named by number from 1 (--columns 1,2,3)."),
    OptionSpec(
      "prefix", value: "TEXT", commands: [.score],
      "Put TEXT before each output's name (NDJSON keys, CSV and Arrow columns), e.g. pred_."),
    OptionSpec(
      "deterministic", commands: [.score],
      "Output bytes independent of timing and --batch-size: models whose results depend on the batch run one row at a time."
    ),
    OptionSpec(
      "batch-size", value: "N", commands: [.score],
      "Text formats: records per model run, at most (default: 1024)."),
    OptionSpec(
      "max-delay", value: "MS", commands: [.score],
      "Send a partial batch (text records, merged frames) MS milliseconds after its first record (default: 5)."
    ),
    OptionSpec(
      "batch-rows", value: "N", commands: [.score],
      "Raw frames: merge small frames and cut large ones to N rows per run; auto (default) tries sizes on the first runs, off."
    ),
    OptionSpec(
      "on-error", value: "POLICY", commands: [.score],
      "Text and Arrow: a bad record fails the run (fail, default), is skipped (skip) or gets null outputs (null)."
    ),
    OptionSpec(
      "errors", value: "FILE", commands: [.score],
      "Text and Arrow: write each rejected record to FILE as NDJSON (line or batch and row, reason)."),
    OptionSpec(
      "max-record-bytes", value: "SIZE", commands: [.score],
      "Text formats: refuse records longer than SIZE (default: 1M; K, M, G suffixes)."),
    OptionSpec(
      "outputs", value: "LIST", commands: [.score],
      "Comma-separated outputs to write, in that order (default: every tensor output)."),
    OptionSpec(
      "dim", value: "NAME=SIZE", repeatable: true, commands: [.score, .inspect, .bench],
      "Pin the symbolic dimension NAME to SIZE (repeatable)."),
    OptionSpec(
      "max-frame-bytes", value: "SIZE", commands: [.score],
      "Refuse frames (Arrow: metadata or bodies) over SIZE bytes before allocating (default: 1G; K, M, G)."),
    OptionSpec(
      "optimization", value: "LEVEL", commands: [.score, .bench],
      "Graph optimization: disabled, basic, extended or all (default: all)."),
    OptionSpec(
      "watch", commands: [.score],
      "Reload the model when its file changes (checked every second), as SIGHUP does."),
    OptionSpec(
      "model-field", value: "NAME", commands: [.score],
      "NDJSON, CSV and Arrow: add field NAME, the scoring model's identity (SHA-256 prefix), to each record."),
    OptionSpec(
      "metrics", value: "FILE", commands: [.score],
      "Write Prometheus metrics to FILE (atomically) every --metrics-interval seconds and at exit."),
    OptionSpec(
      "metrics-interval", value: "SECONDS", commands: [.score],
      "Seconds between --metrics writes (default: 10)."),
    OptionSpec(
      "progress", commands: [.score],
      "Show a live status line on stderr when stderr is a terminal."),
    OptionSpec(
      "stats", commands: [.score],
      "Print a summary on stderr at the end: rows, frames, time, rows/s, batch latency."),
    OptionSpec(
      "calibrate", commands: [.inspect],
      "Measure rows/s at 1, 8, 64, 512 and 4096 rows per run, and whether outputs depend on the batch."),
    OptionSpec(
      "json", commands: [.inspect, .bench],
      "Print machine-readable JSON."),
    OptionSpec(
      "rows", value: "N", commands: [.bench],
      "Rows to score (default: 1000000)."),
    OptionSpec(
      "sweep", commands: [.bench],
      "Measure every workers x intra-threads x rows-per-run setting and print the best."),
    OptionSpec(
      "sample", value: "FILE", commands: [.bench],
      "Score rows read from FILE (raw frames) instead of synthetic values."),
    OptionSpec(
      "batch", value: "N", commands: [.bench],
      "Rows per model run (default: 4096)."),
    OptionSpec(
      "help", short: "h", commands: [.score, .inspect, .bench, .completions],
      "Show this help and exit."),
    OptionSpec(
      "version", short: "V", commands: [.score],
      "Show the version of onnxpipe and of ONNX Runtime, and exit."),
  ]
}
