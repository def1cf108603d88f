/// Builds the Arrow parts of a run from the options: the processor for
/// `--in arrow`, and the writer for `--out arrow`.
public enum ArrowFormat {
  /// The processor for an Arrow input stream of `schema`.
  /// - Parameters:
  ///   - output: `arrow`, `ndjson` or `csv`.
  ///   - modelName: the model file's name, recorded in an Arrow output's schema metadata.
  /// - Returns: the processor, and the bytes to write before the first batch (the schema, or a CSV header).
  public static func processor(
    schema: ArrowSchema, engine: any InferenceEngine, output: String, mapping: TextFormat.Mapping, keep: Bool,
    onError: OnErrorPolicy, modelName: String, stats: PipelineStats?
  ) throws(PipeError) -> (ArrowBatchProcessor, preamble: [UInt8]) {
    let signature = engine.signature
    // A free row dimension takes its size from the column feeding the input.
    let numericColumns = schema.fields.filter {
      $0.type.element != nil && $0.type.element != .string && $0.dictionary == nil
    }.count
    let pinned = signature.dimensionsFromData(pinned: mapping.pinnedDimensions) { name in
      schema.valuesPerRow(column: mapping.fields[name].map(FieldPath.name) ?? name)
        ?? (signature.inputs.count == 1 ? mapping.columns?.count ?? numericColumns : nil)
    }
    let inputs = try mapping.missing.apply(to: signature.inputRows(pinned: pinned, format: "Arrow streams"))
    let layout = try ArrowInputLayout(
      schema: schema, inputs: inputs, fields: mapping.fields, columns: mapping.columns)
    let selected = try signature.selectOutputs(mapping.outputNames)
    let rendering: ArrowBatchProcessor.Output
    let preamble: [UInt8]
    if output == "arrow" {
      if keep && onError == .skip {
        throw PipeError(
          .usage,
          "--keep --on-error skip: Arrow output keeps whole input batches; use --on-error null or fail")
      }
      var kept: [ArrowKeptColumn] = []
      if keep {
        for (column, field) in schema.fields.enumerated() {
          kept.append(
            ArrowKeptColumn(
              field: field, nodes: layout.columnNodes[column]..<layout.columnNodes[column] + field.nodeCount))
        }
        let outputs = Set(selected.map { mapping.outputPrefix + signature.outputs[$0].name })
        if let clash = schema.fields.first(where: { outputs.contains($0.name) }) {
          throw PipeError(
            .usage,
            "--keep: the input column '\(clash.name)' has the name of an output column, which would then appear twice; rename the outputs with --prefix (e.g. --prefix pred_)"
          )
        }
      }
      let probe =
        ArrowOutputWriter.needsProbe(signature, outputs: selected)
        ? try TextFormat.probe(engine: engine, inputs: inputs, outputs: selected) : nil
      let writer = try ArrowOutputWriter(
        signature: signature, outputs: selected, namePrefix: mapping.outputPrefix, probe: probe, kept: kept,
        inputLayout: keep ? layout.arrays : nil,
        metadata: outputMetadata(schema.metadata, modelName: modelName, signature: signature))
      rendering = .arrow(writer)
      preamble = writer.schemaMessage
    } else {
      if keep {
        throw PipeError(
          .usage, "--keep with --in arrow needs --out arrow (the input columns are copied through)")
      }
      var format = try TextFormat(
        writing: TextOutputFormat(rawValue: output)!, signature: signature, outputNames: mapping.outputNames,
        outputPrefix: mapping.outputPrefix)
      if format.needsProbe {
        format.learnOutputs(from: try TextFormat.probe(engine: engine, inputs: inputs, outputs: selected))
      }
      rendering = .text(format)
      preamble = format.outputHeader()
    }
    let processor = ArrowBatchProcessor(
      layout: layout, output: rendering, engine: engine, onError: onError, outputIndices: selected,
      stats: stats)
    return (processor, preamble)
  }

  /// The writer for `--out arrow` after a text input (`format`).
  public static func writer(format: TextFormat, engine: any InferenceEngine, modelName: String)
    throws(PipeError)
    -> ArrowOutputWriter
  {
    if format.keep {
      throw PipeError(.usage, "--keep with --out arrow needs --in arrow (text records have no Arrow columns)")
    }
    let selected = format.outputs.map(\.index)
    let probe =
      ArrowOutputWriter.needsProbe(engine.signature, outputs: selected)
      ? try TextFormat.probe(engine: engine, inputs: format.inputs, outputs: selected) : nil
    return try ArrowOutputWriter(
      signature: engine.signature, outputs: selected, namePrefix: format.outputPrefix, probe: probe, kept: [],
      metadata: outputMetadata([], modelName: modelName, signature: engine.signature))
  }

  /// The end-of-stream marker written after the last batch.
  public static var endOfStream: [UInt8] { ArrowMessage.endOfStream }

  /// The input's metadata, then `onnxpipe.model` and `onnxpipe.producer`.
  private static func outputMetadata(_ input: [ArrowKeyValue], modelName: String, signature: ModelSignature)
    -> [ArrowKeyValue]
  {
    let ours = ["onnxpipe.model", "onnxpipe.producer"]
    return input.filter { !ours.contains($0.key) } + [
      ArrowKeyValue("onnxpipe.model", modelName), ArrowKeyValue("onnxpipe.producer", signature.producer),
    ]
  }
}
