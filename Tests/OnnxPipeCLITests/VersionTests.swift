import Testing

@testable import OnnxPipeCLI

@Suite struct VersionTests {
  @Test func firstLineIsTheProgramAndItsVersionAlone() {
    let lines = VersionText.text(runtimeVersion: "1.21.0", providers: ["CPUExecutionProvider"])
      .split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.first == "onnxpipe \(Help.version)")
    #expect(lines[1] == "ONNX Runtime 1.21.0 (execution providers: CPUExecutionProvider)")
    #expect(lines[2] == "License: Apache-2.0 <https://www.apache.org/licenses/LICENSE-2.0>")
    #expect(lines.last == "", "the text ends in a newline")
  }

  @Test func providersAreListedInTheRuntimesOrder() {
    let text = VersionText.text(
      runtimeVersion: "1.22.1", providers: ["XnnpackExecutionProvider", "CPUExecutionProvider"])
    #expect(
      text.split(separator: "\n")[1]
        == "ONNX Runtime 1.22.1 (execution providers: XnnpackExecutionProvider, CPUExecutionProvider)")
  }

  @Test func theVersionIsThreeNumbers() {
    let parts = Help.version.split(separator: ".")
    #expect(parts.count == 3 && parts.allSatisfy { Int($0) != nil }, "\(Help.version)")
  }
}
