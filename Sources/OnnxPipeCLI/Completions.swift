import OnnxPipeCore

/// `onnxpipe completions bash|zsh|fish`: shell completion scripts generated
/// from the option table, so completion offers exactly the options `--help`
/// lists and the man-page test checks.
///
/// Each shell's script lives in its own file (`Completions+Bash.swift`, ...);
/// this file holds what they share: which words complete where.
enum Completions {
  /// The shells onnxpipe writes a completion script for.
  enum Shell: String, CaseIterable, Sendable {
    case bash, zsh, fish
  }

  /// Runs `onnxpipe completions SHELL`: the script for SHELL.
  static func run(_ parsed: ParsedArguments) throws(PipeError) -> String {
    let names = Shell.allCases.map(\.rawValue).joined(separator: ", ")
    guard let name = parsed.positionals.first else {
      throw PipeError(.usage, "completions: name a shell (\(names))")
    }
    guard parsed.positionals.count == 1 else {
      throw PipeError(.usage, "completions: unexpected argument '\(parsed.positionals[1])' (one shell only)")
    }
    guard let shell = Shell(rawValue: name) else {
      throw PipeError(.usage, "completions: unknown shell '\(name)' (known: \(names))")
    }
    return script(for: shell)
  }

  /// The completion script for `shell`.
  static func script(for shell: Shell) -> String {
    switch shell {
    case .bash: bashScript()
    case .zsh: zshScript()
    case .fish: fishScript()
    }
  }

  /// The words that may stand first instead of a model: the subcommands and `help`.
  static let subcommands: [(name: String, summary: String)] =
    Command.allCases.filter { $0 != .score }.map { ($0.rawValue, summary($0)) }
    + [("help", "Show the help of onnxpipe or of a command")]

  /// One line on what `command` does, for the shells that show descriptions.
  static func summary(_ command: Command) -> String {
    switch command {
    case .score: "Score records with an ONNX model"
    case .inspect: "Show a model's inputs, outputs and raw frame layout"
    case .bench: "Run the model alone in a tight loop: the speed limit"
    case .completions: "Print a shell completion script (bash, zsh or fish)"
    }
  }

  /// The options of `command`, in table order.
  static func options(_ command: Command) -> [OptionSpec] {
    OptionSpec.table.filter { $0.commands.contains(command) }
  }

  /// The options that take a value, as every spelling on a command line
  /// (`--in`, `-j`), for skipping values when counting operands.
  static var valueSpellings: [String] {
    OptionSpec.table.filter { $0.value != nil }.flatMap { spec in
      ["--" + spec.long] + (spec.short.map { ["-" + String($0)] } ?? [])
    }
  }

  /// The values an option takes from a fixed list, by long name. The test
  /// `everyOfferedValueIsAccepted` checks each against the option's validator
  /// and its error message.
  static let choices: [String: [String]] = [
    "in": ["raw", "arrow", "ndjson", "csv", "lines"],
    "out": ["raw", "arrow", "ndjson", "csv"],
    "format": ["raw", "arrow", "ndjson", "csv", "lines"],
    "on-error": OnErrorPolicy.allCases.map(\.rawValue),
    "missing": ["auto", "nan", "error"],
    "optimization": ["disabled", "basic", "extended", "all"],
    "batch-rows": ["auto", "off"],
    "workers": ["auto"],
    "intra-threads": ["auto"],
  ]

  /// Whether `spec`'s value is a path (its placeholder is `FILE`).
  static func takesFile(_ spec: OptionSpec) -> Bool { spec.value == "FILE" }
}
