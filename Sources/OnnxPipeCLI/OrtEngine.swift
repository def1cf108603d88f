import OnnxPipeCore
import OnnxRuntime

/// Runs a model through ONNX Runtime: the `InferenceEngine` the real program uses.
final class OrtEngine: InferenceEngine {
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
      guard try value.kind() == .tensor else {
        throw PipeError(.usage, "output '\(signature.outputs[index].name)' is not a tensor")
      }
      let (ortElement, shape) = try value.tensorShape()
      let element = ElementType(rawValue: ortElement.rawValue)!
      if element == .string {
        return OutputTensor(element: element, shape: shape, contents: .strings(try value.stringElements()))
      }
      let bytes = try value.withUnsafeTensorBytes { Array($0) }
      return OutputTensor(element: element, shape: shape, contents: .bytes(bytes))
    }
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
