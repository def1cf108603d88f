import Testing

@testable import OnnxPipeCLI
@testable import OnnxPipeCore

@Suite struct ArgumentTests {
  @Test func acceptsLongShortInlineAndAttachedForms() throws {
    let parsed = try parseArguments([
      "-j4", "--queue-depth=9", "--intra-threads", "2", "--dim", "a=3", "--dim=b=5", "--stats", "m.onnx",
    ])
    #expect(parsed.command == .score)
    #expect(parsed.value("workers") == "4")
    #expect(parsed.value("queue-depth") == "9")
    #expect(parsed.values["dim"] == ["a=3", "b=5"])
    #expect(parsed.has("stats"))
    #expect(parsed.positionals == ["m.onnx"])
    let options = try ScoreOptions(parsed)
    #expect(options.workers == 4)
    #expect(options.queueDepth == 9)
    #expect(options.intraThreads == 2)
    #expect(options.pinnedDimensions == ["a": 3, "b": 5])
  }

  @Test func queueDepthDefaultsToTwiceTheWorkers() throws {
    let options = try ScoreOptions(try parseArguments(["-j", "3", "m.onnx"]))
    #expect(options.queueDepth == 6)
    #expect(options.maxFrameBytes == 1 << 30)
    #expect(options.outputs == nil)
  }

  @Test func subcommandIsTheFirstWordAndOptionsAreCheckedAgainstIt() throws {
    let parsed = try parseArguments(["inspect", "--json", "m.onnx"])
    #expect(parsed.command == .inspect)
    #expect(throws: PipeError(.usage, "option '--workers' does not apply to 'inspect'")) {
      try parseArguments(["inspect", "-j", "2", "m.onnx"])
    }
    #expect(throws: PipeError(.usage, "option '--rows' does not apply to 'score'")) {
      try parseArguments(["--rows", "5", "m.onnx"])
    }
  }

  @Test func doubleDashEndsOptions() throws {
    let parsed = try parseArguments(["--", "-model.onnx"])
    #expect(parsed.positionals == ["-model.onnx"])
  }

  @Test func missingValueAndFlagWithValueAreErrors() {
    #expect(throws: PipeError(.usage, "option '--workers' needs a value (N)")) {
      try parseArguments(["m.onnx", "--workers"])
    }
    #expect(throws: PipeError(.usage, "option '--stats' takes no value")) {
      try parseArguments(["--stats=yes", "m.onnx"])
    }
  }

  @Test(arguments: [("1048576", 1_048_576), ("64M", 64 << 20), ("1G", 1 << 30), ("4k", 4096), ("0", 0)])
  func byteSizesTakeBinarySuffixes(text: String, value: Int) throws {
    #expect(try byteSize(text, option: "max-frame-bytes") == value)
  }

  @Test(arguments: ["", "-1", "5T", "M", "9G"])
  func badByteSizesAreRefused(text: String) {
    #expect(throws: PipeError.self) { try byteSize(text, option: "max-frame-bytes") }
  }

  @Test func outputsListRejectsEmptyNames() {
    #expect(throws: PipeError(.usage, "--outputs: empty name in 'a,,b'")) {
      try ScoreOptions(try parseArguments(["--outputs", "a,,b", "m.onnx"]))
    }
  }

  @Test(arguments: [
    (1.0, 2, "1.00"), (0.0045, 3, "0.005"), (-2.5, 1, "-2.5"), (1234.5678, 0, "1235"), (0.1, 0, "0"),
  ])
  func fixedFormatting(value: Double, decimals: Int, text: String) {
    #expect(Format.fixed(value, decimals) == text)
  }

  @Test func exitStatusesFollowSysexits() {
    #expect(ExitStatus(for: .usage).rawValue == 64)
    #expect(ExitStatus(for: .data).rawValue == 65)
    #expect(ExitStatus(for: .noInput).rawValue == 66)
    #expect(ExitStatus(for: .software).rawValue == 70)
    #expect(ExitStatus(for: .io).rawValue == 74)
    #expect(ExitStatus(for: .model).rawValue == 78)
  }
}

@Suite struct ModelLoaderTests {
  @Test func aMissingLocaleGetsAnInstallHint() {
    let message =
      "Load model failed: StringNormalizer: locale::facet::_S_create_c_locale name not valid\nmore"
    #expect(
      ModelLoader.explain(message)
        == "Load model failed: StringNormalizer: locale::facet::_S_create_c_locale name not valid more"
        + " (the en_US.UTF-8 locale is missing: install 'locales' and run locale-gen, or 'make deps')")
  }

  @Test func otherMessagesAreKeptOnOneLine() {
    #expect(ModelLoader.explain("a\nb\r\nc") == "a b c")
  }
}
