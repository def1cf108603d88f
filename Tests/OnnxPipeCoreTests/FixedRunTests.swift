import Synchronization
import Testing

@testable import OnnxPipeCore

/// A model whose batch is fixed to 4: x float32 [4, 2] -> y float32 [4] (x0 + 10 x1); a run of any
/// other size throws, as ONNX Runtime does. With `repeats`, it also offers a `RunRepeater`.
final class FixedFourEngine: RepeatingEngine, Sendable {
  let repeats: Bool
  let runs = Atomic<Int>(0)

  init(repeats: Bool) { self.repeats = repeats }

  var signature: ModelSignature {
    ModelSignature(
      inputs: [TensorSpec(name: "x", kind: .tensor(.float32, [.fixed(4), .fixed(2)]))],
      outputs: [TensorSpec(name: "y", kind: .tensor(.float32, [.fixed(4)]))])
  }

  static func score(_ values: [Float]) -> [Float] { (0..<4).map { values[2 * $0] + 10 * values[2 * $0 + 1] } }

  func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    guard inputs[0].shape == [4, 2], case .bytes(let raw) = inputs[0].contents else {
      throw PipeError(.data, "Got invalid dimensions for input: \(inputs[0].shape)")
    }
    runs.add(1, ordering: .relaxed)
    return [
      OutputTensor(
        element: .float32, shape: [4],
        contents: .bytes(bytes(of: Self.score(Array(raw.bindMemory(to: Float.self))))))
    ]
  }

  func repeater(inputs: [(ElementType, [Int])], outputs: [(index: Int, element: ElementType, shape: [Int])])
    -> (any RunRepeater)?
  {
    guard repeats, inputs.map(\.1) == [[4, 2]], outputs.map(\.shape) == [[4]] else { return nil }
    return Repeater(engine: self)
  }

  final class Repeater: RunRepeater {
    let engine: FixedFourEngine
    let inputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 16)
    let outputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 16)
    init(engine: FixedFourEngine) { self.engine = engine }
    deinit {
      inputBuffer.deallocate()
      outputBuffer.deallocate()
    }
    func input(_ index: Int) -> UnsafeMutableRawBufferPointer { inputBuffer }
    func output(_ position: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(outputBuffer) }
    func run() throws {
      engine.runs.add(1, ordering: .relaxed)
      let scores = FixedFourEngine.score(
        Array(UnsafeRawBufferPointer(inputBuffer).bindMemory(to: Float.self)))
      scores.withUnsafeBytes { outputBuffer.copyMemory(from: $0) }
    }
  }
}

@Suite struct FixedRunTests {
  /// Any number of rows runs as runs of exactly 4, the last padded and its padding dropped,
  /// through the plain engine and through a repeater alike.
  @Test(arguments: [(false, 1), (false, 10), (true, 1), (true, 4), (true, 10), (true, 13)])
  func rowsRunInRunsOfTheModelsSizeWithThePaddingDropped(repeats: Bool, rows: Int) throws {
    let base = FixedFourEngine(repeats: repeats)
    let adapter = ModelAdapter(base, convertHalfFloats: false)
    #expect(adapter.fixedRows == 4)
    #expect(adapter.signature.inputs[0].kind == .tensor(.float32, [.symbolic("N"), .fixed(2)]))
    let values = (0..<(2 * rows)).map { Float($0) }
    let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: values.count * 4, alignment: 16)
    defer { raw.deallocate() }
    raw.copyBytes(from: bytes(of: values))
    let before = base.runs.load(ordering: .relaxed)
    let results = try adapter.run(
      [InputTensor(element: .float32, shape: [rows, 2], contents: .bytes(UnsafeRawBufferPointer(raw)))],
      outputs: [0])
    var expected: [Float] = []
    for row in 0..<rows { expected.append(values[2 * row] + 10 * values[2 * row + 1]) }
    let want = OutputTensor(element: .float32, shape: [rows], contents: .bytes(bytes(of: expected)))
    #expect(results == [want])
    #expect(base.runs.load(ordering: .relaxed) - before == (rows + 3) / 4)
  }
}
