import OnnxPipeCore
import OnnxRuntime

/// Runs a model through ONNX Runtime: the `InferenceEngine` the real program uses.
final class OrtEngine: RepeatingEngine {
  let session: Session
  let signature: ModelSignature

  init(session: Session) {
    self.session = session
    signature = ModelSignature(
      inputs: session.inputs.map(Self.spec), outputs: session.outputs.map(Self.spec),
      producer: session.metadata.producerName, graphName: session.metadata.graphName)
  }

  func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    let values = try inputs.map { tensor in
      switch tensor.contents {
      case .bytes(let bytes):
        try Value.tensor(borrowing: bytes, elementType: Self.ortType(tensor.element), shape: tensor.shape)
      case .strings(let strings):
        try Value.stringTensor(strings, shape: tensor.shape)
      }
    }
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
