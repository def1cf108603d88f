extension TextFormat {
  /// Whether CSV output needs a probe run to know its columns (free output
  /// dimensions, or map outputs whose keys only a run reveals).
  public var needsProbe: Bool {
    output == .csv && outputs.contains { $0.isMap || $0.rowElements == nil }
  }

  /// Runs the model once on a row of zeros (empty strings) and records each
  /// output's elements per row and map keys, which name the CSV columns.
  /// `inputs` gives the rows to run on when this format does not read the input (another format does).
  public mutating func probeOutputs(engine: any InferenceEngine, inputs: [TextInput]? = nil) throws(PipeError)
  {
    learnOutputs(
      from: try Self.probe(engine: engine, inputs: inputs ?? self.inputs, outputs: outputs.map(\.index)))
  }

  /// One run of the model on a row of zeros (empty strings) of `inputs`.
  static func probe(engine: any InferenceEngine, inputs: [TextInput], outputs: [Int]) throws(PipeError)
    -> [OutputTensor]
  {
    var columns = inputs.map { Column($0, rowCapacity: 1) }
    for index in columns.indices {
      for _ in 0..<columns[index].input.rowElements { columns[index].appendZero() }
    }
    do {
      return try TextRecordReader.runColumns(columns, rows: 1, engine: engine, outputs: outputs)
    } catch {
      throw PipeError(
        .model, "cannot learn the output columns: a probe run on a row of zeros failed: \(error)")
    }
  }

  /// Records each output's elements per row and map keys from a probe run's results.
  mutating func learnOutputs(from results: [OutputTensor]) {
    for (position, result) in results.enumerated() {
      switch result.contents {
      case .maps(let maps):
        outputs[position].mapKeys = maps.first?.map(\.key) ?? []
      default:
        outputs[position].rowElements = result.shape.dropFirst().reduce(1, *)
      }
    }
  }
}
