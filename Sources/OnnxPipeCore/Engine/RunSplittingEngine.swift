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
    return try runInRuns(base, inputs, outputs: outputs, size: rowsPerRun)
  }
}

/// `engine` run on `inputs` in runs of exactly `size` rows, outputs joined
/// along the rows. A last, short run is padded to `size` (zeros, empty
/// strings) and the padding's output rows dropped: models whose batch
/// dimension is fixed take no other size (`ModelAdapter`).
func runInRuns(_ engine: any InferenceEngine, _ inputs: [InputTensor], outputs: [Int], size: Int) throws
  -> [OutputTensor]
{
  let rows = inputs.first?.shape.first ?? 0
  var parts: [[OutputTensor]] = []
  parts.reserveCapacity((rows + size - 1) / size)
  for start in stride(from: 0, to: rows, by: size) {
    let count = min(size, rows - start)
    if count == size {
      parts.append(try engine.run(inputs.map { $0.rows(start..<start + size) }, outputs: outputs))
      continue
    }
    let padded = inputs.map { $0.rows(start..<start + count).padded(to: size) }
    let results = try padded.withBorrowedTensors { try engine.run($0, outputs: outputs) }
    parts.append(results.map { $0.rows(0..<count) })
  }
  return outputs.indices.map { position in OutputTensor.joined(parts.map { $0[position] }) }
}
