/// Counts the rows of every model run into `stats.runRows` (`--metrics`):
/// wrapped right around ONNX Runtime, it sees the runs as they are made.
public struct MeteredEngine: InferenceEngine {
  public let base: any InferenceEngine
  let stats: PipelineStats

  public init(_ base: any InferenceEngine, stats: PipelineStats) {
    self.base = base
    self.stats = stats
  }

  public var signature: ModelSignature { base.signature }

  public func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    let results = try base.run(inputs, outputs: outputs)
    let rows = inputs.first?.shape.first ?? 0
    stats.runRows.withLock { $0.record(rows: rows) }
    return results
  }
}

/// Adds an output `name` holding `value` (the model's identity) on every
/// row (`--model-field`): every format then writes it like any output.
public struct ModelFieldEngine: InferenceEngine {
  public let base: any InferenceEngine
  public let name: String
  public let value: String
  public let signature: ModelSignature

  public init(_ base: any InferenceEngine, name: String, value: String) {
    self.base = base
    self.name = name
    self.value = value
    var signature = base.signature
    signature.outputs.append(TensorSpec(name: name, kind: .tensor(.string, [.symbolic("N")])))
    signature.modelField = signature.outputs.count - 1
    self.signature = signature
  }

  public func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    let field = signature.outputs.count - 1
    let wanted = outputs.filter { $0 != field }
    var results = wanted.isEmpty ? [] : try base.run(inputs, outputs: wanted)
    guard let position = outputs.firstIndex(of: field) else { return results }
    let rows = inputs.first?.shape.first ?? 0
    let column = OutputTensor(
      element: .string, shape: [rows], contents: .strings(Array(repeating: value, count: rows)))
    results.insert(column, at: position)
    return results
  }
}
