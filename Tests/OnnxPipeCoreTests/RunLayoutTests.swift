import Testing

@testable import OnnxPipeCore

/// Like `SumEngine`, but each row's sum gains 0.001 per row in the run (the way a
/// blocked matrix product's rounding follows the run's size), and with
/// `scalarOutput` adds an output that is not per row (a run total, shape [1]).
struct RunSizeEngine: InferenceEngine {
  var scalarOutput = false
  var signature: ModelSignature {
    var outputs = [TensorSpec(name: "sum", kind: .tensor(.float32, [.symbolic("N")]))]
    if scalarOutput { outputs.append(TensorSpec(name: "total", kind: .tensor(.float32, [.fixed(1)]))) }
    return ModelSignature(
      inputs: [TensorSpec(name: "x", kind: .tensor(.float32, [.symbolic("N"), .fixed(2)]))], outputs: outputs)
  }

  func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    guard case .bytes(let raw) = inputs[0].contents else { return [] }
    let values = Array(raw.bindMemory(to: Float.self))
    let rows = inputs[0].shape[0]
    let sums = (0..<rows).map { values[2 * $0] + values[2 * $0 + 1] + Float(rows) / 1000 }
    let all = [
      OutputTensor(element: .float32, shape: [rows], contents: .bytes(bytes(of: sums))),
      OutputTensor(element: .float32, shape: [1], contents: .bytes(bytes(of: [sums.reduce(0, +)]))),
    ]
    return outputs.map { all[$0] }
  }
}

@Suite struct RunLayoutTests {
  func rows(_ values: [Float]) -> InputTensor {
    let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: values.count * 4, alignment: 4)
    raw.copyBytes(from: bytes(of: values))
    return InputTensor(
      element: .float32, shape: [values.count / 2, 2], contents: .bytes(UnsafeRawBufferPointer(raw)))
  }

  @Test(arguments: [1, 2, 3, 7])
  func oneRowRunsGiveEachRowItsAloneResultWhateverTheBatch(rowCount: Int) throws {
    let values = (0..<(2 * rowCount)).map { Float($0) * 0.5 }
    let base = RunSizeEngine()
    let split = RunSplittingEngine(base, rowsPerRun: 1)
    let together = try split.run([rows(values)], outputs: [0])
    let alone = try (0..<rowCount).map { row in
      try base.run([rows(Array(values[(2 * row)..<(2 * row + 2)]))], outputs: [0])[0]
    }
    #expect(together == [OutputTensor.joined(alone)])
    if rowCount > 1 {
      // The base engine itself does depend on the batch: the test would catch a pass-through.
      #expect(try base.run([rows(values)], outputs: [0]) != together)
    }
  }

  @Test func theInvarianceCheckTellsBatchDependentModelsApart() {
    #expect(BatchCalibration.batchInvariance(engine: SumEngine(features: 3), pinnedDimensions: [:]) == true)
    #expect(BatchCalibration.batchInvariance(engine: RunSizeEngine(), pinnedDimensions: [:]) == false)
    #expect(
      BatchCalibration.batchInvariance(engine: SumEngine(features: 3), pinnedDimensions: [:], largest: 1024)
        == true)
  }

  /// An output that is not per row cannot be compared row by row: unknown, not a crash.
  @Test func anOutputThatIsNotPerRowLeavesInvarianceUnknown() {
    #expect(
      BatchCalibration.batchInvariance(engine: RunSizeEngine(scalarOutput: true), pinnedDimensions: [:])
        == nil)
  }
}
