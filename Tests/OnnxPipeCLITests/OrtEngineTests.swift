import Foundation
import OnnxPipeCore
import OnnxRuntime
import Testing

@testable import OnnxPipeCLI

/// `OrtEngine`'s outputs written by the model into arrays of ours (`bindsOutputs`).
@Suite struct OrtEngineTests {
  static func engine(_ name: String) throws -> OrtEngine {
    OrtEngine(
      session: try ModelLoader.load(
        path: repositoryRoot.appendingPathComponent("Tests/Fixtures/models/\(name).onnx").path))
  }

  static func floats(_ values: [Float]) -> [UInt8] {
    values.withUnsafeBytes { Array($0) }
  }

  static func run(_ engine: OrtEngine, _ inputs: [(ElementType, [Int], [UInt8])], outputs: [Int]) throws
    -> [OutputTensor]
  {
    // Each input's bytes borrowed for the run, as the readers hand them.
    func borrow(_ position: Int, _ tensors: [InputTensor]) throws -> [OutputTensor] {
      guard position < inputs.count else { return try engine.run(tensors, outputs: outputs) }
      let (element, shape, bytes) = inputs[position]
      return try bytes.withUnsafeBytes { raw in
        try borrow(
          position + 1, tensors + [InputTensor(element: element, shape: shape, contents: .bytes(raw))])
      }
    }
    return try borrow(0, [])
  }

  @Test func boundOutputsEqualTheOnesOnnxRuntimeAllocates() throws {
    // skl2onnx's logistic regression: label int64[?] and probabilities float32[?,3].
    let logreg = try Self.engine("logreg")
    let rows = 37
    let x = Self.floats((0..<(rows * 4)).map { Float($0 % 11) * 0.7 - 3 })
    let bound = try Self.run(logreg, [(.float32, [rows, 4], x)], outputs: [0, 1])
    #expect(logreg.outputsAreBound)
    let allocated = try x.withUnsafeBytes { raw in
      try logreg.runAllocating(
        [try Value.tensor(borrowing: raw, elementType: .float32, shape: [rows, 4])], outputs: [0, 1])
    }
    #expect(bound == allocated)
    #expect(bound.map(\.shape) == [[rows], [rows, 3]])
    // Two inputs, an int32 output and a named first dimension (`batch`); the outputs asked for
    // in the other order.
    let mixed = try Self.engine("mixed")
    let k = [Int64](0..<5).withUnsafeBytes { Array($0) }
    let both = try Self.run(
      mixed, [(.float32, [5, 3], Self.floats((0..<15).map(Float.init))), (.int64, [5, 1], k)],
      outputs: [1, 0])
    #expect(mixed.outputsAreBound)
    #expect(both.map(\.shape) == [[5, 1], [5, 3]])
    #expect(both[0].contents == .bytes([Int32](1...5).withUnsafeBytes { Array($0) }))
  }

  @Test func aFreeFirstDimensionThatIsNotTheRowsFallsBackToOnnxRuntimesOutputs() throws {
    // reshape.onnx: x float32[N,4] -> y float32[?,3], so 3 rows give 4 output rows; bound as
    // [3,3], the run fails, and the engine runs again without binding, from then on.
    let reshape = try Self.engine("reshape")
    let values = (0..<12).map(Float.init)
    let first = try Self.run(reshape, [(.float32, [3, 4], Self.floats(values))], outputs: [0])
    #expect(first == [OutputTensor(element: .float32, shape: [4, 3], contents: .bytes(Self.floats(values)))])
    #expect(!reshape.outputsAreBound)
    let second = try Self.run(reshape, [(.float32, [6, 4], Self.floats(values + values))], outputs: [0])
    #expect(second.map(\.shape) == [[8, 3]])
    // A run that fails either way still fails, with ONNX Runtime's own message.
    let failing = try Self.engine("reshape")
    #expect(throws: ORTError.self) {
      try Self.run(failing, [(.float32, [2, 4], Self.floats(Array(values[..<8])))], outputs: [0])
    }
    #expect(failing.outputsAreBound)
  }
}
