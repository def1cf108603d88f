import Foundation
import Testing

@testable import OnnxPipeCLI

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

func manPage() throws -> String {
  try String(contentsOf: repositoryRoot.appendingPathComponent("man/onnxpipe.1"), encoding: .utf8)
}

@Suite struct DocumentationTests {
  @Test(arguments: OptionSpec.table.map(\.long))
  func manPageDocumentsEveryOption(long: String) throws {
    let page = try manPage()
    #expect(page.contains(".It Fl -\(long)") || page.contains("Fl -\(long)"), "man page lacks --\(long)")
    #expect(
      page.contains(
        ".It Fl \(OptionSpec.table.first { $0.long == long }!.short.map { "\($0) , Fl -" } ?? "-")\(long)"))
  }

  @Test(arguments: Command.allCases)
  func helpListsEveryOptionOfItsCommand(command: Command) {
    let help = Help.text(for: command)
    for spec in OptionSpec.table where spec.commands.contains(command) {
      #expect(help.contains("--\(spec.long)"), "--help for \(command) lacks --\(spec.long)")
    }
  }

  @Test func manPageHasTheRequiredSections() throws {
    let page = try manPage()
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "FORMATS", "GUARANTEES", "EXIT STATUS", "EXAMPLES"] {
      #expect(page.contains(".Sh \(section)\n"), "missing section \(section)")
    }
  }

  @Test func manPageListsEveryExitStatus() throws {
    let page = try manPage()
    for status in ExitStatus.allCases where status.rawValue < 128 {
      #expect(page.contains(".It \(status.rawValue)\n"), "exit status \(status.rawValue) undocumented")
    }
    #expect(page.contains(".It 130 , 143\n"))
  }

  @Test func everyGuaranteeNamesATestThatExists() throws {
    let page = try manPage()
    let section = page.components(separatedBy: ".Sh GUARANTEES\n")[1].components(separatedBy: "\n.Sh ")[0]
    let named = section.split(separator: "\n").filter { $0.hasPrefix(".Pq Sy ") }
      .flatMap { $0.dropFirst(7).split(separator: ",") }
      .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " .")) }
    #expect(named.count >= 10)
    let tests = try FileManager.default.subpathsOfDirectory(
      atPath: repositoryRoot.appendingPathComponent("Tests").path
    )
    .filter { $0.hasSuffix(".swift") || $0.hasSuffix(".py") }
    .map { try String(contentsOf: repositoryRoot.appendingPathComponent("Tests/" + $0), encoding: .utf8) }
    .joined()
    for name in named {
      let defined = tests.contains("func \(name)(") || tests.contains("def \(name)(")
      #expect(defined, "GUARANTEES names \(name), which is no test")
    }
  }

  /// The `.Dl` command lines of the EXAMPLES section.
  static let examples: [String] = {
    guard let page = try? manPage(), let start = page.range(of: ".Sh EXAMPLES\n") else { return [] }
    let section = page[start.upperBound...].prefix { _ in true }
    let end = section.range(of: "\n.Sh ")?.lowerBound ?? section.endIndex
    return section[..<end].split(separator: "\n").filter { $0.hasPrefix(".Dl ") }
      .map { roffToShell(String($0.dropFirst(4))) }
  }()

  @Test func manPageHasRunnableExamples() {
    #expect(Self.examples.count >= 4)
  }

  @Test(arguments: examples)
  func manPageExampleRuns(command: String) throws {
    let result = try runExample(command, in: repositoryRoot)
    #expect(result.status == 0, "\(command)")
    #expect(!result.output.isEmpty, "\(command) printed nothing")
  }

  /// The `od` example prints probabilities only: three a line, summing to 1,
  /// with no frame length read as a float among them.
  @Test func manPageOdExamplePrintsOnlyProbabilities() throws {
    let command = try #require(Self.examples.first { $0.contains("| od ") })
    let result = try runExample(command, in: repositoryRoot)
    #expect(result.status == 0)
    let rows = String(decoding: result.output, as: UTF8.self).split(separator: "\n")
      .map { $0.split(separator: " ").map { Double($0) } }
    #expect(rows.count == 5)
    for row in rows {
      #expect(row.count == 3 && row.allSatisfy { $0 != nil }, "\(row)")
      #expect(abs(row.compactMap { $0 }.reduce(0, +) - 1) < 1e-5, "\(row)")
    }
  }

  /// README code blocks that are not run, by their first line, and why.
  /// Every other `sh` block that names onnxpipe runs line by line.
  static let readmeBlocksNotRun: [String: String] = [
    "sudo apt install ./onnxpipe_0.1.0_amd64.deb":
      "installs system-wide; make test-package runs it in a clean Debian root",
    "source <(onnxpipe completions bash)":
      "loads completions into an interactive shell; CompletionScriptTests load each script into its shell",
    "producer | onnxpipe model.onnx | consumer":
      "the pipe form: producer and consumer stand for any programs",
    "tail -F app.log | onnxpipe --in lines --keep classifier.onnx | jq 'select(.label == 1)'":
      "shapes of use on placeholder files (app.log, model.onnx, in.csv, make_batches.py); tail -F never ends"
      + " and the duckdb CLI is not installed in CI (its query was checked with DuckDB's Python package)",
  ]

  /// The README's `sh` code blocks that mention onnxpipe, each as its lines.
  static let readmeBlocks: [[String]] = {
    guard
      let readme = try? String(
        contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
    else { return [] }
    return readme.components(separatedBy: "```sh\n").dropFirst()
      .map { $0.components(separatedBy: "\n```")[0].components(separatedBy: "\n") }
      .filter { $0.contains { $0.contains("onnxpipe") } }
  }()

  /// The README command lines that run: every line of the blocks not excepted.
  static let readmeExamples: [String] = readmeBlocks.filter { readmeBlocksNotRun[$0[0]] == nil }
    .flatMap { $0 }.filter { !$0.isEmpty }

  @Test func readmeExamplesAreRunOrExceptedByName() {
    #expect(Self.readmeExamples.count >= 5)
    let firstLines = Set(Self.readmeBlocks.map { $0[0] })
    for (line, reason) in Self.readmeBlocksNotRun {
      #expect(firstLines.contains(line), "README has no block starting '\(line)' (excepted: \(reason))")
    }
  }

  /// Each line runs with the built binary on PATH in a scratch directory that
  /// links every top-level entry of the repository, so it reads the files the
  /// repository ships and the files it writes land outside the repository.
  @Test(arguments: readmeExamples)
  func readmeExampleRuns(command: String) throws {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
      "onnxpipe-readme-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let shipped = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.path)
    for entry in shipped {
      try FileManager.default.createSymbolicLink(
        at: scratch.appendingPathComponent(entry),
        withDestinationURL: repositoryRoot.appendingPathComponent(entry))
    }
    let result = try runExample(command, in: scratch)
    #expect(result.status == 0, "\(command)")
    var written = result.output
    for entry in try FileManager.default.contentsOfDirectory(atPath: scratch.path)
    where !shipped.contains(entry) {
      written += try Data(contentsOf: scratch.appendingPathComponent(entry))
    }
    #expect(!written.isEmpty, "\(command) wrote nothing to stdout or to a file")
  }
}

/// Runs `command` with bash (pipefail) in `directory` with the debug build
/// first on PATH; its status and standard output.
func runExample(_ command: String, in directory: URL) throws -> (status: Int32, output: Data) {
  let binaryDirectory = repositoryRoot.appendingPathComponent(".build/debug").path
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/bash")
  process.arguments = ["-o", "pipefail", "-c", command]
  process.currentDirectoryURL = directory
  var environment = ProcessInfo.processInfo.environment
  environment["PATH"] = binaryDirectory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
  process.environment = environment
  let output = Pipe()
  process.standardOutput = output
  process.standardError = FileHandle.nullDevice
  process.standardInput = FileHandle.nullDevice
  try process.run()
  let bytes = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, bytes)
}

/// A `.Dl` line as the shell sees it: roff's `\e` is a backslash, `\|` a bar.
func roffToShell(_ line: String) -> String {
  line.replacingOccurrences(of: "\\|", with: "|").replacingOccurrences(of: "\\e", with: "\\")
}
