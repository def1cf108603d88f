import Testing

@testable import OnnxPipeCLI

@Suite struct TerminalRefusalTests {
  static let raw =
    "refusing to write binary raw frames to a terminal; redirect stdout (> FILE or | PROGRAM), or add --force"
  static let arrow =
    "refusing to write a binary Arrow stream to a terminal; redirect stdout, choose --out ndjson or --out csv,"
    + " or add --force"

  @Test(arguments: [
    ([] as [String], true, raw), (["--in", "arrow"], true, arrow),
    (["--out", "arrow", "--in", "csv"], true, arrow),
    ([], false, nil), (["--in", "arrow"], false, nil), (["--force"], true, nil),
    (["--in", "arrow", "--force"], true, nil),
    (["--in", "arrow", "--out", "ndjson"], true, nil), (["--in", "csv"], true, nil),
    (["--format", "csv"], true, nil),
  ])
  func binaryOutputIsRefusedOnATerminalUnlessForced(arguments: [String], terminal: Bool, refusal: String?)
    throws
  {
    let options = try ScoreOptions(try parseArguments(arguments + ["m.onnx"]))
    #expect(options.terminalRefusal(stdoutIsTerminal: terminal) == refusal)
  }
}
