import Foundation
import Testing

/// Binary output and a terminal: script(1) gives onnxpipe a pseudo-terminal
/// as standard output (and standard error); its transcript is what the
/// terminal received, with each line feed turned into CR LF.
@Suite struct TerminalOutputTests {
  static let model = repositoryRoot.appendingPathComponent("examples/iris/classifier.onnx").path
  static let rows = repositoryRoot.appendingPathComponent("examples/iris/rows").path

  /// Runs `arguments` with stdout and stderr on a pseudo-terminal and stdin from `input`.
  func runOnATerminal(_ arguments: [String], input: String) throws -> (status: Int32, transcript: [UInt8]) {
    let command = ([binaryPath] + arguments).map { "'\($0)'" }.joined(separator: " ") + " < '\(input)'"
    return try runUnderATerminal(command)
  }

  @Test func rawFramesAreNotWrittenToATerminal() throws {
    let result = try runOnATerminal([Self.model], input: Self.rows + ".bin")
    #expect(result.status == 64)
    #expect(
      String(decoding: result.transcript, as: UTF8.self)
        == "onnxpipe: refusing to write binary raw frames to a terminal; redirect stdout (> FILE or | PROGRAM),"
        + " or add --force\r\n")
  }

  @Test func anArrowStreamIsNotWrittenToATerminal() throws {
    let result = try runOnATerminal(
      ["--in", "arrow", "--input", "X=measurements", Self.model], input: Self.rows + ".arrows")
    #expect(result.status == 64)
    #expect(
      String(decoding: result.transcript, as: UTF8.self)
        == "onnxpipe: refusing to write a binary Arrow stream to a terminal; redirect stdout, choose --out ndjson"
        + " or --out csv, or add --force\r\n")
  }

  @Test(arguments: [
    ([Self.model], Self.rows + ".bin"),
    (["--in", "arrow", "--input", "X=measurements", Self.model], Self.rows + ".arrows"),
  ])
  func forceWritesBinaryOutputToATerminal(arguments: [String], input: String) throws {
    let result = try runOnATerminal(["--force"] + arguments, input: input)
    let piped = try run(arguments, input: Array(try Data(contentsOf: URL(fileURLWithPath: input))))
    #expect(result.status == 0)
    #expect(piped.status == 0)
    #expect(!piped.stdout.isEmpty)
    let asATerminalShowsIt = piped.stdout.flatMap { $0 == 0x0A ? [0x0D, 0x0A] : [$0] }
    #expect(result.transcript == asATerminalShowsIt)
  }

  @Test func textOutputOfArrowInputGoesToATerminal() throws {
    let arguments = [
      "--in", "arrow", "--out", "ndjson", "--input", "X=measurements", "--outputs", "label", Self.model,
    ]
    let result = try runOnATerminal(arguments, input: Self.rows + ".arrows")
    #expect(result.status == 0)
    let text = String(decoding: result.transcript, as: UTF8.self)
    #expect(text.split(separator: "\r\n").count == 8, "\(text)")
    #expect(text.hasPrefix("{\"label\":1}\r\n"), "\(text)")
  }
}
