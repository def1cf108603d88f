import Testing

@testable import OnnxPipeCLI
@testable import OnnxPipeCore

@Suite struct MissingOptionTests {
  func options(_ arguments: [String]) throws -> ScoreOptions {
    try ScoreOptions(try parseArguments(arguments + ["m.onnx"]))
  }

  @Test func aPolicyAndValuesPerInput() throws {
    #expect(try options(["--in", "csv"]).missing == MissingValuePolicy())
    let given = try options([
      "--in", "ndjson", "--missing", "nan", "--missing", "age=0", "--missing=city=", "--missing", "nan",
      "--missing", "note=a=b",
    ])
    #expect(given.missing == MissingValuePolicy(mode: .nan, values: ["age": "0", "city": "", "note": "a=b"]))
    #expect(try options(["--in", "arrow", "--missing", "error"]).missing.mode == .error)
  }

  @Test(arguments: [
    (
      ["--in", "csv", "--missing", "nan", "--missing", "error"],
      "--missing nan and --missing error contradict each other; give one"
    ),
    (["--in", "csv", "--missing", "zero"], "--missing: expected auto, nan, error or NAME=VALUE, got 'zero'"),
    (["--in", "csv", "--missing", "=1"], "--missing: expected auto, nan, error or NAME=VALUE, got '=1'"),
    (["--in", "csv", "--missing", "a=1", "--missing", "a=2"], "--missing: input 'a' is given a value twice"),
    (["--missing", "nan"], "--missing applies to text formats and Arrow (--in ndjson, csv, lines or arrow)"),
  ])
  func badUsesAreUsageErrors(arguments: [String], message: String) {
    #expect(throws: PipeError(.usage, message)) { try options(arguments) }
  }
}
