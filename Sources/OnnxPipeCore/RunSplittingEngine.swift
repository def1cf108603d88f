/// An engine that cuts every call into runs of at most `rowsPerRun` rows and
/// joins their outputs. With one row per run, a row's result cannot depend on
/// which rows happened to be batched with it (`--deterministic`, for models
/// whose results change in the last bits with the run's size).
public struct RunSplittingEngine: InferenceEngine {
  public let base: any InferenceEngine
  public let rowsPerRun: Int

  public init(_ base: any InferenceEngine, rowsPerRun: Int) {
    precondition(rowsPerRun >= 1, "rowsPerRun must be at least 1, got \(rowsPerRun)")
    self.base = base
    self.rowsPerRun = rowsPerRun
  }

  public var signature: ModelSignature { base.signature }

  public func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    let rows = inputs.first?.shape.first ?? 0
    guard rows > rowsPerRun else { return try base.run(inputs, outputs: outputs) }
    var parts: [[OutputTensor]] = []
    parts.reserveCapacity((rows + rowsPerRun - 1) / rowsPerRun)
    for start in stride(from: 0, to: rows, by: rowsPerRun) {
      let range = start..<min(start + rowsPerRun, rows)
      parts.append(try base.run(inputs.map { $0.rows(range) }, outputs: outputs))
    }
    return outputs.indices.map { position in OutputTensor.joined(parts.map { $0[position] }) }
  }
}
