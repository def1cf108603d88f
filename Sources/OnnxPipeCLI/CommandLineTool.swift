import OnnxPipeCore
import OnnxRuntime

/// The program: parses arguments, runs the command, reports errors and
/// returns the exit status for `main` to exit with.
public enum CommandLineTool {
  /// Runs onnxpipe with `arguments` (without the program name).
  public static func main(_ arguments: [String]) -> Int32 {
    Signals.blockTerminationSignals()
    Signals.startWatching()
    let parsed: ParsedArguments
    do {
      parsed = try parseArguments(arguments)
    } catch {
      return report(error)
    }
    do throws(PipeError) {
      if parsed.has("help") {
        // Written like every other output: a full disk or a closed pipe is not a success.
        try FileDescriptor.standardOutput.writeAll(Help.text(for: parsed.command))
        return ExitStatus.success.rawValue
      }
      switch parsed.command {
      case .score:
        if parsed.has("version") {
          try FileDescriptor.standardOutput.writeAll(VersionText.text())
          return ExitStatus.success.rawValue
        }
        let options = try ScoreOptions(parsed)
        if let refusal = options.terminalRefusal(stdoutIsTerminal: FileDescriptor.standardOutput.isTerminal) {
          // One line, no usage hint: the message says what to do.
          try? FileDescriptor.standardError.writeAll("onnxpipe: \(refusal)\n")
          return ExitStatus.usage.rawValue
        }
        if let hint = options.terminalInputHint(stdinIsTerminal: FileDescriptor.standardInput.isTerminal) {
          try? FileDescriptor.standardError.writeAll("onnxpipe: \(hint)\n")
          return ExitStatus.usage.rawValue
        }
        return try ScoreCommand.run(reading: options).rawValue
      case .inspect:
        try FileDescriptor.standardOutput.writeAll(try InspectCommand.run(parsed))
      case .bench:
        try FileDescriptor.standardOutput.writeAll(try BenchCommand.run(parsed))
      case .completions:
        try FileDescriptor.standardOutput.writeAll(try Completions.run(parsed))
      }
      return ExitStatus.success.rawValue
    } catch {
      if error.kind == .brokenPipe { Signals.dieOfBrokenPipe() }
      return report(error)
    }
  }

  /// Prints `onnxpipe: MESSAGE` (plus a usage hint) and returns the exit status.
  static func report(_ error: PipeError) -> Int32 {
    var text = "onnxpipe: \(error.message)\n"
    if error.kind == .usage { text += "See 'onnxpipe --help'.\n" }
    try? FileDescriptor.standardError.writeAll(text)
    return ExitStatus(for: error.kind).rawValue
  }
}
