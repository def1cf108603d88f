import OnnxPipeCore
import OnnxRuntime
import Synchronization

/// Runs a model through ONNX Runtime: the `InferenceEngine` the real program uses.
final class OrtEngine: RepeatingEngine {
  let session: Session
  let signature: ModelSignature

  /// Each output's element type and shape when the model fixes them: numeric, every dimension
  /// fixed but perhaps the first, which then takes the rows (nil there), unless the model names
  /// it other than the first input's first dimension. Nil for any other output.
  private let fixedShapes: [(element: ElementType, shape: [Int?])?]

  init(session: Session) {
    self.session = session
    signature = ModelSignature(
      inputs: session.inputs.map(Self.spec), outputs: session.outputs.map(Self.spec),
      producer: session.metadata.producerName, graphName: session.metadata.graphName)
    var rowsName: String?
    if case .tensor(_, let dims) = signature.inputs.first?.kind, case .symbolic(let name) = dims.first {
      rowsName = name
    }
    fixedShapes = signature.outputs.map { spec in
      guard case .tensor(let element, let dims) = spec.kind, element.byteWidth != nil, !dims.isEmpty else {
        return nil
      }
      var shape: [Int?] = []
      for (axis, dim) in dims.enumerated() {
        switch dim {
        case .fixed(let size): shape.append(size)
        case .symbolic(let name):
          guard axis == 0, name.isEmpty || rowsName.map({ $0.isEmpty || $0 == name }) ?? true else {
            return nil
          }
          shape.append(nil)
        }
      }
      return (element, shape)
    }
  }

  /// Whether runs hand ONNX Runtime the output tensors, in memory of ours, when the model fixes
  /// their shapes (see `run`). Cleared for good the first time a run fails with them and
  /// succeeds without: a model whose free first output dimension is not its rows.
  private let bindsOutputs = Atomic<Bool>(true)

  /// Whether the next run binds its outputs (for tests).
  var outputsAreBound: Bool { bindsOutputs.load(ordering: .relaxed) }

  func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    let values = try inputs.map { tensor in
      switch tensor.contents {
      case .bytes(let bytes):
        try Value.tensor(borrowing: bytes, elementType: Self.ortType(tensor.element), shape: tensor.shape)
      case .strings(let strings):
        try Value.stringTensor(strings, shape: tensor.shape)
      }
    }
    // Outputs of a known shape are written by the model straight into the arrays the results
    // hold: no allocation inside ONNX Runtime and no copy out of it.
    if bindsOutputs.load(ordering: .relaxed),
      let shapes = boundShapes(outputs, rows: inputs.first?.shape.first)
    {
      do { return try runBound(values, outputs: outputs, shapes: shapes) } catch {
        let results = try runAllocating(values, outputs: outputs)
        bindsOutputs.store(false, ordering: .relaxed)
        return results
      }
    }
    return try runAllocating(values, outputs: outputs)
  }

  /// Each output's element type and shape for a run of `rows` rows (`fixedShapes`); nil when
  /// one of them is not fixed.
  private func boundShapes(_ outputs: [Int], rows: Int?) -> [(ElementType, [Int])]? {
    var shapes: [(ElementType, [Int])] = []
    for index in outputs {
      guard let (element, shape) = fixedShapes[index] else { return nil }
      var sized: [Int] = []
      for size in shape {
        guard let size = size ?? rows else { return nil }
        sized.append(size)
      }
      shapes.append((element, sized))
    }
    return shapes
  }

  /// Runs with the outputs in arrays of ours, made uninitialized for the model to fill.
  private func runBound(_ values: [Value], outputs: [Int], shapes: [(ElementType, [Int])]) throws
    -> [OutputTensor]
  {
    var buffers: [UnsafeMutableRawBufferPointer] = []
    var arrays: [[UInt8]] = []
    // Each array is made around the next (its memory stays put until its initializer returns),
    // so the innermost call runs the model with every buffer in place.
    func makeArrays(from position: Int) throws {
      guard position < shapes.count else {
        let outputValues = try zip(buffers, shapes).map { buffer, shape in
          try Value.tensor(writingInto: buffer, elementType: Self.ortType(shape.0), shape: shape.1)
        }
        return try session.run(values, outputIndices: outputs, into: outputValues)
      }
      let (element, shape) = shapes[position]
      let count = shape.reduce(1, *) * element.byteWidth!
      arrays.append(
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
          buffers.append(UnsafeMutableRawBufferPointer(buffer))
          try makeArrays(from: position + 1)
          initialized = count
        })
    }
    try makeArrays(from: 0)
    // Appended innermost first.
    return zip(shapes, arrays.reversed()).map { shape, bytes in
      OutputTensor(element: shape.0, shape: shape.1, contents: .bytes(bytes))
    }
  }

  func runAllocating(_ values: [Value], outputs: [Int]) throws -> [OutputTensor] {
    let results = try session.run(values, outputIndices: outputs)
    return try zip(outputs, results).map { index, value in
      switch try value.kind() {
      case .tensor: break
      case .sequence: return try Self.sequenceOfMaps(value, name: signature.outputs[index].name)
      default: throw PipeError(.usage, "output '\(signature.outputs[index].name)' is not a tensor")
      }
      if case .tensor(.string, _) = signature.outputs[index].kind {
        let (_, shape) = try value.tensorShape()
        return OutputTensor(element: .string, shape: shape, contents: .strings(try value.stringElements()))
      }
      // Shape and bytes read once: this runs on every run, one-row runs included.
      return try value.withUnsafeTensor { ortElement, shape, bytes in
        OutputTensor(
          element: ElementType(rawValue: ortElement.rawValue)!, shape: shape, contents: .bytes(Array(bytes)))
      }
    }
  }

  func repeater(inputs: [(ElementType, [Int])], outputs: [(index: Int, element: ElementType, shape: [Int])])
    -> (any RunRepeater)?
  {
    try? ReusedRun(
      session: session, inputs: inputs.map { (Self.ortType($0.0), $0.1) },
      outputs: outputs.map { ($0.index, Self.ortType($0.element), $0.shape) })
  }

  /// A `seq(map(K, V))` output (ZipMap) as one list of entries per row.
  private static func sequenceOfMaps(_ value: Value, name: String) throws -> OutputTensor {
    let count = try value.elementCount()
    var rows: [[MapEntry]] = []
    rows.reserveCapacity(count)
    for index in 0..<count {
      let map = try value.element(at: index)
      guard try map.kind() == .map else {
        throw PipeError(.usage, "output '\(name)' is not a sequence of maps")
      }
      let keysValue = try map.element(at: 0)
      let values = try map.element(at: 1).withUnsafeTensorBytes { raw -> [Double] in
        raw.count == 0 ? [] : raw.bindMemory(to: Float.self).map(Double.init)
      }
      let keys: [String]
      if try keysValue.tensorShape().elementType == .string {
        keys = try keysValue.stringElements()
      } else {
        keys = try keysValue.withUnsafeTensorBytes { raw in raw.bindMemory(to: Int64.self).map { String($0) }
        }
      }
      rows.append(zip(keys, values).map { MapEntry(key: $0, value: $1) })
    }
    return OutputTensor(element: .float32, shape: [count], contents: .maps(rows))
  }

  static func ortType(_ element: ElementType) -> TensorElementType {
    TensorElementType(rawValue: element.rawValue)!
  }

  static func spec(_ info: ValueInfo) -> TensorSpec {
    TensorSpec(name: info.name, kind: kind(info.type))
  }

  private static func kind(_ type: ValueType) -> TensorSpec.Kind {
    switch type {
    case .tensor(let element, let shape, let names):
      let dims = zip(shape, names).map { size, name in size.map(Dimension.fixed) ?? .symbolic(name) }
      return .tensor(ElementType(rawValue: element.rawValue)!, dims)
    default:
      return .other(describe(type))
    }
  }

  /// ONNX's notation for non-tensor types: `seq(map(int64,tensor(float)))`.
  private static func describe(_ type: ValueType) -> String {
    switch type {
    case .tensor(let element, _, _): "tensor(\(element.rawValue))"
    case .sequence(let inner): "seq(\(describe(inner)))"
    case .map(let key, let value): "map(\(key.rawValue),\(describe(value)))"
    case .other(let text): text
    }
  }
}

extension ReusedRun: RunRepeater {}
