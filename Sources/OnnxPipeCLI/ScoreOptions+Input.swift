import OnnxPipeCore

/// The FILE operands after MODEL: validated here, opened as one stream by
/// `InputFiles`, and run by `ScoreCommand.run(reading:)`.
func inputFiles(_ parsed: ParsedArguments) throws(PipeError) -> [String] {
  let files = Array(parsed.positionals.dropFirst())
  if let model = files.first(where: { $0.hasSuffix(".onnx") }) {
    throw PipeError(
      .usage, "input file '\(model)' looks like a model: give one MODEL, then the files to score")
  }
  if files.count > 1, parsed.value("in") ?? parsed.value("format") == "arrow" {
    throw PipeError(
      .usage,
      "--in arrow reads one stream: give one FILE (or join the streams first, e.g. with pyarrow)")
  }
  return files
}

extension ScoreOptions {
  /// How the files meet in one stream: frames byte for byte, text records with
  /// each file's last line ended, CSV with one header per file kept once.
  var joinRule: StreamJoiner.Rule {
    switch input {
    case "raw", "arrow": .bytes
    case "csv" where csvHeader != .absent: .csvWithHeader
    default: .text
    }
  }

  /// Why not to wait for input, or nil: with no FILE and standard input a
  /// terminal, onnxpipe would wait silently for records no one is typing;
  /// `-` says to read the terminal all the same.
  public func terminalInputHint(stdinIsTerminal: Bool) -> String? {
    guard stdinIsTerminal, inputPaths.isEmpty else { return nil }
    return "no input: standard input is a terminal. Pipe records in (producer | onnxpipe MODEL),"
      + " name files (onnxpipe MODEL FILE...), or give '-' to type them. See 'onnxpipe --help'."
  }
}

extension ScoreCommand {
  /// Runs the filter on the input files, or standard input when none is given.
  /// A file that could not be read, or whose CSV header differs, is what the
  /// run reports, in place of what the cut stream made the reader say; an
  /// error at a line of the joined stream names the file and its own line.
  static func run(reading options: ScoreOptions) throws(PipeError) -> ExitStatus {
    guard !options.inputPaths.isEmpty else { return try run(options) }
    let files = try InputFiles.open(
      options.inputPaths, rule: options.joinRule, maxHeaderBytes: options.maxRecordBytes)
    do throws(PipeError) {
      let status = try run(options, input: files.descriptor)
      if let failure = files.failure { throw failure }
      return status
    } catch {
      guard error.kind != .brokenPipe else { throw error }
      throw files.failure ?? PipeError(error.kind, files.locating(error.message))
    }
  }
}
