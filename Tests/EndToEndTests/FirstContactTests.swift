import Foundation
import Testing

/// What a new user meets first: the help, the version, and what a mistyped
/// option or a bad value is told.
@Suite struct FirstContactTests {
  static let iris = repositoryRoot.appendingPathComponent("examples/iris").path

  @Test(arguments: [
    (["help"], ["--help"]), (["help", "inspect"], ["inspect", "--help"]),
    (["help", "bench"], ["bench", "-h"]),
  ])
  func helpCommandPrintsThatCommandsHelp(arguments: [String], same: [String]) throws {
    let result = try run(arguments)
    #expect(result.status == 0)
    #expect(result.stderr == "")
    let text = String(decoding: result.stdout, as: UTF8.self)
    let title = arguments.count == 1 ? "onnxpipe: score record batches" : "onnxpipe \(arguments[1]): "
    #expect(text.hasPrefix(title), "\(text)")
    #expect(result.stdout == (try run(same)).stdout)
  }

  @Test func helpForAnUnknownCommandIsAUsageError() throws {
    let result = try run(["help", "nosuch"])
    #expect(result.status == 64)
    #expect(
      result.stderr
        == "onnxpipe: help: unknown command 'nosuch' (known: inspect, bench, completions)\nSee 'onnxpipe --help'.\n"
    )
    #expect(result.stdout.isEmpty)
  }

  @Test func theHelpWordWinsOverAModelNamedHelpWhichDotSlashReaches() throws {
    let directory = NSTemporaryDirectory() + "onnxpipe-help-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try FileManager.default.copyItem(atPath: Self.iris + "/classifier.onnx", toPath: directory + "/help")
    let rows = Self.iris + "/rows.bin"
    let help = try runIn(directory, ["help"], input: rows)
    #expect(help.status == 0)
    #expect(String(decoding: help.stdout, as: UTF8.self).hasPrefix("onnxpipe: score record batches"))
    let scored = try runIn(directory, ["./help"], input: rows)
    #expect(scored.status == 0)
    let expected = try run(
      [Self.iris + "/classifier.onnx"], input: readFixture("../../examples/iris/rows.bin"))
    #expect(splitFrames(Array(scored.stdout))?.count == 2)
    #expect(Array(scored.stdout) == expected.stdout)
  }

  @Test func capitalVPrintsTheVersion() throws {
    let short = try run(["-V"])
    #expect(short.status == 0)
    // GNU layout: the first line is the program and its version alone, then the runtime under it.
    let lines = String(decoding: short.stdout, as: UTF8.self).split(separator: "\n")
    #expect(lines.first == "onnxpipe 0.1.0")
    #expect(lines.count >= 2 && lines[1].hasPrefix("ONNX Runtime 1."), "\(lines)")
    #expect(
      lines.count >= 2 && lines[1].contains(" (execution providers: ")
        && lines[1].hasSuffix("CPUExecutionProvider)"), "\(lines)")
    #expect(short.stderr == "")
    #expect(short.stdout == (try run(["--version"])).stdout)
  }

  @Test(arguments: [
    (["--inn", "csv", "m.onnx"], "onnxpipe: unknown option '--inn'; did you mean '--in'?"),
    (["--ouptuts=label", "m.onnx"], "onnxpipe: unknown option '--ouptuts'; did you mean '--outputs'?"),
    (["inspect", "--jsn", "m.onnx"], "onnxpipe: unknown option '--jsn'; did you mean '--json'?"),
    (
      ["--in", "csv", "--max-record-bytes", "4X", "m.onnx"],
      "onnxpipe: --max-record-bytes: expected a size up to 4G such as 1048576, 64M or 1G, got '4X'"
    ),
    (
      ["--format", "xml", "m.onnx"],
      "onnxpipe: --format: unknown format 'xml' (known: raw, arrow, ndjson, csv, lines)"
    ),
  ])
  func usageErrorsNameTheOptionGivenOrTheOneMeant(arguments: [String], message: String) throws {
    let result = try run(arguments)
    #expect(result.status == 64)
    #expect(result.stderr == message + "\nSee 'onnxpipe --help'.\n")
    #expect(result.stdout.isEmpty)
  }
}

/// Runs onnxpipe in `directory` with stdin from the file `input`.
private func runIn(_ directory: String, _ arguments: [String], input: String) throws -> (
  status: Int32, stdout: Data
) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: binaryPath)
  process.arguments = arguments
  process.currentDirectoryURL = URL(fileURLWithPath: directory)
  process.standardInput = FileHandle(forReadingAtPath: input)
  process.standardError = FileHandle.nullDevice
  let output = Pipe()
  process.standardOutput = output
  try process.run()
  let bytes = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, bytes)
}
