import Foundation
import Testing

@testable import OnnxPipeCore

/// `ModelGraph.operatorTypes(path:)`: the node types alone, which decide whether each worker gets a
/// session of its own.
@Suite struct ModelGraphOperatorTests {
  @Test(arguments: [
    "models/text_clf.onnx", "models/rf32.onnx", "compat/models/skl_string_labels.onnx",
    "dataframe/models/skl_frame_imputer.onnx", "models/mixed.onnx",
  ])
  func operatorTypesAreThoseOfTheFullParse(model: String) throws {
    let graph = try #require(ModelGraph.read(path: fixturePath(model)))
    #expect(ModelGraph.operatorTypes(path: fixturePath(model)) == Set(graph.nodes.map(\.opType)))
  }

  @Test func onlyTheTextClassifierHasContendedOperators() throws {
    let text = try #require(ModelGraph.operatorTypes(path: fixturePath("models/text_clf.onnx")))
    #expect(text.intersection(ModelGraph.contendedOperators) == ["StringNormalizer", "Tokenizer"])
    let forest = try #require(ModelGraph.operatorTypes(path: fixturePath("models/rf32.onnx")))
    #expect(forest.isDisjoint(with: ModelGraph.contendedOperators))
  }

  @Test func notAModelHasNoOperatorTypes() throws {
    #expect(ModelGraph.operatorTypes(path: fixturePath("models/missing.onnx")) == nil)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("graph-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("cut.onnx").path
    // A graph field whose length runs past the end of the file.
    try Data([0x3A, 0x7F, 0x0A]).write(to: URL(fileURLWithPath: path))
    #expect(ModelGraph.operatorTypes(path: path) == nil)
  }
}
