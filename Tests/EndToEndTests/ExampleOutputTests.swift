import Foundation
import Testing

/// The bundled examples give the outputs `make test-package` expects of the
/// installed package (Tests/Package/examples.tsv and expected/), checked
/// once against onnxruntime's own outputs when they were made.
@Suite struct ExampleOutputTests {
  struct Example: CustomTestStringConvertible, Sendable {
    var name: String
    var arguments: [String]
    var input: String
    var testDescription: String { name }
  }

  static let examples: [Example] = {
    let path = repositoryRoot.appendingPathComponent("Tests/Package/examples.tsv").path
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      return Example(
        name: fields[0], arguments: fields[1].split(separator: " ").map(String.init), input: fields[2])
    }
  }()

  @Test func everyExampleFolderHasACase() {
    #expect(Self.examples.map(\.name) == ["iris-raw", "iris-ndjson", "iris-csv", "logs-lines"])
  }

  @Test(arguments: examples)
  func exampleGivesTheExpectedBytes(example: Example) throws {
    // The arguments name files under examples/, relative to the repository root as to /usr/share/doc/onnxpipe.
    let arguments = example.arguments.map {
      $0.hasPrefix("examples/") ? repositoryRoot.appendingPathComponent($0).path : $0
    }
    let input = try readFixture("../../" + example.input)
    let result = try run(arguments, input: input)
    #expect(result.status == 0)
    #expect(result.stderr == "")
    #expect(result.stdout == (try readFixture("../Package/expected/" + example.name)))
  }
}
