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
    let binaryDirectory = repositoryRoot.appendingPathComponent(".build/debug").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-o", "pipefail", "-c", command]
    process.currentDirectoryURL = repositoryRoot
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = binaryDirectory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let bytes = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(command)")
    #expect(!bytes.isEmpty, "\(command) printed nothing")
  }
}

/// A `.Dl` line as the shell sees it: roff's `\e` is a backslash, `\|` a bar.
func roffToShell(_ line: String) -> String {
  line.replacingOccurrences(of: "\\|", with: "|").replacingOccurrences(of: "\\e", with: "\\")
}
