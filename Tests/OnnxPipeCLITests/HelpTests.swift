import Testing

@testable import OnnxPipeCLI
@testable import OnnxPipeCore

@Suite struct HelpTests {
  @Test(arguments: Command.allCases)
  func everyHelpLineFitsEightyColumns(command: Command) {
    for line in Help.text(for: command).split(separator: "\n", omittingEmptySubsequences: false) {
      #expect(line.count <= 80, "\(command) help line of \(line.count) columns: \(line)")
    }
  }

  @Test func scoreHelpStartsWithCSVNDJSONAndLogLineExamples() {
    let lines = Help.text(for: .score).split(separator: "\n", omittingEmptySubsequences: false)
    #expect(
      Array(lines.prefix(7)) == [
        "onnxpipe: score record batches on stdin with an ONNX model, in input order",
        "",
        "examples:",
        "  onnxpipe --in csv model.onnx < rows.csv > scored.ndjson",
        "  onnxpipe --in ndjson --keep model.onnx < rows.ndjson > scored.ndjson",
        "  tail -F app.log | onnxpipe --in lines --keep clf.onnx",
        "",
      ])
  }

  @Test func scoreHelpNamesEveryInputFormatAndTheHelpCommand() {
    let text = Help.text(for: .score)
    let prose = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    #expect(
      prose.contains(
        "Input (--in) is raw tensor frames (the default), an Arrow IPC stream, NDJSON, CSV or lines of text;")
    )
    #expect(
      prose.contains(
        "Binary output (raw frames, Arrow) is not written to a terminal unless --force is given."))
    #expect(text.contains("\n       onnxpipe help [inspect | bench | completions]\n"))
  }

  @Test func wrapBreaksAtSpacesWithinTheWidth() {
    #expect(Help.wrap("aa bb cc dd ee", width: 5) == ["aa bb", "cc dd", "ee"])
    #expect(Help.wrap("aa bb cc", width: 5, hangingIndent: 2) == ["aa bb", "  cc"])
    #expect(Help.wrap("a verylongword b", width: 5) == ["a", "verylongword", "b"])
    #expect(Help.wrap("", width: 5) == [""])
  }

  @Test func optionHelpIsWrappedUnderTheDescriptionColumn() {
    let spec = OptionSpec.table.first { $0.long == "max-record-bytes" }!
    #expect(
      Help.optionLines(spec) == [
        "      --max-record-bytes SIZE",
        "                            Text formats: refuse records longer than SIZE",
        "                            (default: 1M; K, M, G suffixes).",
      ])
    let workers = OptionSpec.table.first { $0.long == "workers" }!
    #expect(
      Help.optionLines(workers) == [
        "  -j, --workers N           Worker threads running the model (default: online",
        "                            CPUs); auto measures against --intra-threads.",
      ])
  }
}

@Suite struct HelpCommandTests {
  @Test func helpAloneIsTheMainHelp() throws {
    let parsed = try parseArguments(["help"])
    #expect(parsed.command == .score)
    #expect(parsed.has("help"))
  }

  @Test(arguments: [Command.inspect, .bench])
  func helpWithACommandIsThatCommandsHelp(command: Command) throws {
    let parsed = try parseArguments(["help", command.rawValue])
    #expect(parsed.command == command)
    #expect(parsed.has("help"))
    #expect(parsed.positionals == [])
  }

  @Test func helpWithAnUnknownCommandIsAUsageError() {
    #expect(throws: PipeError(.usage, "help: unknown command 'nosuch' (known: inspect, bench, completions)"))
    {
      try parseArguments(["help", "nosuch"])
    }
    #expect(throws: PipeError(.usage, "help: unexpected argument 'x' (one command at most)")) {
      try parseArguments(["help", "inspect", "x"])
    }
  }

  @Test func aModelPathOtherThanTheBareWordIsStillAModel() throws {
    let parsed = try parseArguments(["./help"])
    #expect(parsed.command == .score)
    #expect(!parsed.has("help"))
    #expect(parsed.positionals == ["./help"])
  }

  @Test func capitalVIsVersion() throws {
    #expect(try parseArguments(["-V"]).values == ["version": [""]])
  }
}
