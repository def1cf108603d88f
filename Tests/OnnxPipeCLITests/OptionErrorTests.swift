import Testing

@testable import OnnxPipeCLI
@testable import OnnxPipeCore

@Suite struct OptionSuggestionTests {
  @Test(arguments: [
    ("inn", Command.score, "in"), ("ouptuts", .score, "outputs"), ("worker", .score, "workers"),
    ("max-rec", .score, "max-record-bytes"), ("ver", .score, "version"), ("stat", .score, "stats"),
    ("jsn", .inspect, "json"), ("row", .bench, "rows"), ("Keep", .score, "keep"),
  ])
  func aCloseTypoGetsTheOptionItMeant(typed: String, command: Command, meant: String) {
    #expect(OptionSpec.suggestion(for: typed, command: command) == meant)
  }

  @Test(arguments: [
    ("bogus", Command.score), ("ab", .score), ("max", .score), ("inn", .inspect), ("x", .score),
    ("rows", .score),
  ])
  func nothingCloseGetsNoSuggestion(typed: String, command: Command) {
    #expect(OptionSpec.suggestion(for: typed, command: command) == nil)
  }

  @Test func theUnknownOptionMessageAsksDidYouMean() {
    #expect(throws: PipeError(.usage, "unknown option '--inn'; did you mean '--in'?")) {
      try parseArguments(["--inn", "csv", "m.onnx"])
    }
    #expect(throws: PipeError(.usage, "unknown option '--bacth-size'; did you mean '--batch-size'?")) {
      try parseArguments(["--bacth-size=3", "m.onnx"])
    }
    #expect(throws: PipeError(.usage, "unknown option '--bogus'")) {
      try parseArguments(["--bogus", "m.onnx"])
    }
  }

  @Test(arguments: [
    ("ndjson", "--out ndjson"), ("csv", "--out ndjson or csv"), ("lines", "--out ndjson or csv"),
    ("arrow", "--out arrow"),
  ])
  func keepWithRawOutputSuggestsOnlyOutputsThatKeepThisInput(input: String, suggested: String) {
    let message = "--keep with --out raw: raw frames carry only the model's outputs; use \(suggested)"
    #expect(throws: PipeError(.usage, message)) {
      try ScoreOptions(try parseArguments(["--in", input, "--out", "raw", "--keep", "m.onnx"]))
    }
  }

  @Test func editDistanceCountsASwapAsOneEdit() {
    #expect(OptionSpec.editDistance(Array("ouptuts"), Array("outputs")) == 1)
    #expect(OptionSpec.editDistance(Array("stast"), Array("stats")) == 1)
    #expect(OptionSpec.editDistance(Array(""), Array("in")) == 2)
    #expect(OptionSpec.editDistance(Array("kitten"), Array("sitting")) == 3)
  }
}

@Suite struct OptionNamingTests {
  /// Options whose value may be any text, so "4X" is accepted.
  static let anyText: Set<String> = ["columns", "errors", "outputs", "prefix", "model-field", "metrics"]
  /// Options that need a text input format to be accepted at all.
  static let textOnly: Set<String> = [
    "input", "columns", "batch-size", "on-error", "errors", "max-record-bytes", "prefix", "model-field",
    "missing",
  ]

  @Test(arguments: OptionSpec.table.filter { $0.commands.contains(.score) && $0.value != nil }.map(\.long))
  func aBadValueIsReportedUnderTheOptionGiven(long: String) throws {
    let context = Self.textOnly.contains(long) ? ["--in", "csv"] : []
    let parsed = try parseArguments(context + ["--\(long)", "4X", "m.onnx"])
    if Self.anyText.contains(long) {
      _ = try ScoreOptions(parsed)
      return
    }
    do {
      _ = try ScoreOptions(parsed)
      Issue.record("--\(long) 4X was accepted")
    } catch {
      #expect(error.kind == .usage)
      #expect(error.message.hasPrefix("--\(long): "), "--\(long) 4X reported as: \(error.message)")
    }
  }

  @Test func sizesNameTheirOwnOption() {
    let message = "expected a size up to 4G such as 1048576, 64M or 1G, got '4X'"
    #expect(throws: PipeError(.usage, "--max-record-bytes: " + message)) {
      try ScoreOptions(try parseArguments(["--in", "csv", "--max-record-bytes", "4X", "m.onnx"]))
    }
    #expect(throws: PipeError(.usage, "--max-frame-bytes: " + message)) {
      try ScoreOptions(try parseArguments(["--max-frame-bytes", "4X", "m.onnx"]))
    }
  }

  @Test func aBadFormatIsReportedUnderFormatWhenFormatGaveIt() {
    #expect(
      throws: PipeError(.usage, "--format: unknown format 'xml' (known: raw, arrow, ndjson, csv, lines)")
    ) {
      try ScoreOptions(try parseArguments(["-f", "xml", "m.onnx"]))
    }
    #expect(throws: PipeError(.usage, "--format: unknown format 'xml' (known: raw, arrow, ndjson, csv)")) {
      try ScoreOptions(try parseArguments(["--in", "csv", "--format", "xml", "m.onnx"]))
    }
    #expect(throws: PipeError(.usage, "--out: unknown format 'xml' (known: raw, arrow, ndjson, csv)")) {
      try ScoreOptions(try parseArguments(["--format", "csv", "--out", "xml", "m.onnx"]))
    }
  }
}
