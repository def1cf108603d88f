import Synchronization
import Testing

@testable import OnnxPipeCore

/// A token model: int64 `tokens` [N, seq] -> float32 `total` [N] (the row's sum) and
/// `length` [N]; it records the shapes it was run on.
final class TokenEngine: InferenceEngine, Sendable {
  let runs = Locked<[[Int]]>([])
  var signature: ModelSignature {
    ModelSignature(
      inputs: [TensorSpec(name: "tokens", kind: .tensor(.int64, [.symbolic("N"), .symbolic("seq")]))],
      outputs: [
        TensorSpec(name: "total", kind: .tensor(.float32, [.symbolic("N")])),
        TensorSpec(name: "length", kind: .tensor(.float32, [.symbolic("N")])),
      ])
  }

  func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    guard case .bytes(let raw) = inputs[0].contents else { return [] }
    let (rows, length) = (inputs[0].shape[0], inputs[0].shape[1])
    runs.withLock { $0.append(inputs[0].shape) }
    let values = Array(raw.bindMemory(to: Int64.self))
    let totals = (0..<rows).map { row in Float(values[(row * length)..<((row + 1) * length)].reduce(0, +)) }
    let all = [
      OutputTensor(element: .float32, shape: [rows], contents: .bytes(bytes(of: totals))),
      OutputTensor(
        element: .float32, shape: [rows],
        contents: .bytes(bytes(of: [Float](repeating: Float(length), count: rows)))),
    ]
    return outputs.map { all[$0] }
  }
}

@Suite struct RaggedRowsTests {
  /// Rows of different lengths run in groups of one length, and come back in record order.
  @Test func rowsOfDifferentLengthsRunInGroupsAndComeBackInOrder() throws {
    let engine = TokenEngine()
    var mapping = InputMapping(pinnedDimensions: ["tokens:1": 3])
    mapping.dataSizedDimensions = ["tokens:1"]
    let format = try TextFormat(
      signature: engine.signature, input: .ndjson, output: .ndjson, mapping: mapping, keep: false,
      onError: .skip,
      maxRecordBytes: 1000)
    let lines = [
      #"{"tokens":[1,2,3]}"#, #"{"tokens":[10]}"#, #"{"tokens":[4,5,6]}"#, #"{"tokens":[]}"#,
      #"{"tokens":[7,8]}"#, #"{"tokens":[20]}"#,
    ]
    let scored = try ScoringProcessor(text: format, engine: engine).process(textBatch(lines))
    #expect(
      String(decoding: scored.bytes, as: UTF8.self)
        == """
        {"total":6.0,"length":3.0}
        {"total":10.0,"length":1.0}
        {"total":15.0,"length":3.0}
        {"total":15.0,"length":2.0}
        {"total":20.0,"length":1.0}

        """)
    #expect(scored.rejected == 1)
    #expect(
      engine.runs.withLock { $0 }.sorted { $0.lexicographicallyPrecedes($1) } == [[1, 2], [2, 1], [2, 3]])
  }

  /// Without a data-sized dimension the first record's size is the only one.
  @Test func withoutADataSizedDimensionOtherLengthsAreBadRecords() throws {
    let engine = TokenEngine()
    let format = try TextFormat(
      signature: engine.signature, input: .ndjson, output: .ndjson,
      mapping: InputMapping(pinnedDimensions: ["seq": 3]), keep: false, onError: .skip,
      maxRecordBytes: 1000)
    let scored = try ScoringProcessor(text: format, engine: engine)
      .process(textBatch([#"{"tokens":[1,2,3]}"#, #"{"tokens":[10]}"#]))
    #expect(String(decoding: scored.bytes, as: UTF8.self) == "{\"total\":6.0,\"length\":3.0}\n")
    #expect(scored.rejected == 1)
  }
}
