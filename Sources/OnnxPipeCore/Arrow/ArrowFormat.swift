/// Builds the Arrow parts of a run from the options: the reader for
/// `--in arrow`, and the writer for `--out arrow`.
public enum ArrowFormat {
  /// The reader for an Arrow input stream of `schema`.
  public static func reader(
    schema: ArrowSchema, signature: ModelSignature, mapping: InputMapping, onError: OnErrorPolicy,
    stats: PipelineStats?
  ) throws(PipeError) -> ArrowRecordReader {
    // A free row dimension takes its size from the column feeding the input.
    let numericColumns = schema.fields.filter {
      $0.type.element != nil && $0.type.element != .string && $0.dictionary == nil
    }.count
    let pinned = signature.dimensionsFromData(pinned: mapping.pinnedDimensions) { name in
      schema.valuesPerRow(column: mapping.fields[name].map(FieldPath.name) ?? name)
        ?? (signature.inputs.count == 1 ? mapping.columns?.count ?? numericColumns : nil)
    }
    // An input whose one free dimension is fed by a list column of any length: sized row by row.
    var sized = pinned
    var ragged: Set<String> = []
    for spec in signature.inputs {
      guard case .tensor(_, let shape) = spec.kind, shape.count > 1, case .symbolic(let dim) = shape[1],
        sized["\(spec.name):1"] == nil, dim.isEmpty || sized[dim] == nil,
        let field = schema.fields.first(where: {
          $0.name == (mapping.fields[spec.name].map(FieldPath.name) ?? spec.name)
        }),
        [.list, .largeList, .listView, .largeListView].contains(field.type)
      else { continue }
      sized["\(spec.name):1"] = 1
      ragged.insert(spec.name)
    }
    var inputs = try mapping.missing.apply(to: signature.inputRows(pinned: sized, format: "Arrow streams"))
    for index in inputs.indices where ragged.contains(inputs[index].name) {
      inputs[index].raggedStride = inputs[index].rowElements
    }
    let layout = try ArrowInputLayout(
      schema: schema, inputs: inputs, fields: mapping.fields, columns: mapping.columns)
    return ArrowRecordReader(layout: layout, onError: onError, stats: stats)
  }

  /// The writer for `--out arrow`.
  /// - Parameters:
  ///   - outputs: the selected outputs (indices into the engine's signature).
  ///   - probeInputs: the input rows a probe run feeds the model, to learn output shapes the
  ///     signature leaves free.
  ///   - keeping: with `--keep`, the Arrow input whose columns are copied through first
  ///     (refused under `--on-error skip`: the kept columns are whole input batches).
  ///   - inputMetadata: the input schema's metadata, carried over.
  ///   - modelName: the model file's name, recorded in the schema's metadata.
  public static func writer(
    engine: any InferenceEngine, outputs selected: [Int], prefix: String, probeInputs: [InputRow],
    keeping input: ArrowRecordReader?, inputMetadata: [ArrowKeyValue], modelName: String
  ) throws(PipeError) -> ArrowOutputWriter {
    let signature = engine.signature
    var kept: [ArrowKeptColumn] = []
    if let input, input.onError == .skip {
      throw PipeError(
        .usage, "--keep --on-error skip: Arrow output keeps whole input batches; use --on-error null or fail")
    }
    if let layout = input?.layout {
      for (column, field) in layout.schema.fields.enumerated() {
        kept.append(
          ArrowKeptColumn(
            field: field, nodes: layout.columnNodes[column]..<layout.columnNodes[column] + field.nodeCount))
      }
    }
    // One column per output, under the name ArrowOutputWriter gives it.
    try WrittenNames.check(
      outputs: selected.map {
        WrittenNames.Output(
          names: [signature.writtenName(of: $0, prefix: prefix)], isModelField: $0 == signature.modelField)
      },
      kept: input?.layout.schema.fields.map(\.name) ?? [], keptWhat: "the input column")
    let probe =
      ArrowOutputWriter.needsProbe(signature, outputs: selected)
      ? try TextFormat.probe(engine: engine, inputs: probeInputs, outputs: selected) : nil
    return try ArrowOutputWriter(
      signature: signature, outputs: selected, namePrefix: prefix, probe: probe, kept: kept,
      inputLayout: input?.layout.arrays,
      metadata: outputMetadata(inputMetadata, modelName: modelName, signature: signature))
  }

  /// The processor for an Arrow input stream written as `output` (`arrow`, `ndjson` or `csv`),
  /// and the bytes before its first batch: the command's reader and writer for that pair, in
  /// one call (the tests and the fuzz target score streams with it).
  public static func processor(
    schema: ArrowSchema, engine: any InferenceEngine, output: String, mapping: InputMapping, keep: Bool,
    onError: OnErrorPolicy, modelName: String, stats: PipelineStats?
  ) throws(PipeError) -> (ScoringProcessor, preamble: [UInt8]) {
    let reader = try reader(
      schema: schema, signature: engine.signature, mapping: mapping, onError: onError, stats: stats)
    let writer: any RecordWriter
    if output == "arrow" {
      writer = try self.writer(
        engine: engine, outputs: try engine.signature.selectOutputs(mapping.outputNames),
        prefix: mapping.outputPrefix, probeInputs: reader.inputs, keeping: keep ? reader : nil,
        inputMetadata: schema.metadata, modelName: modelName)
    } else {
      if keep {
        throw keepNeedsArrowOutput
      }
      var format = try TextFormat(
        writing: TextOutputFormat(rawValue: output)!, signature: engine.signature,
        outputNames: mapping.outputNames, outputPrefix: mapping.outputPrefix)
      if format.needsProbe { try format.probeOutputs(engine: engine, inputs: reader.inputs) }
      writer = TextRecordWriter(format: format)
    }
    let processor = ScoringProcessor(
      reader: reader, writer: writer, engine: engine, outputs: writer.outputIndices, onError: onError)
    return (processor, writer.preamble)
  }

  /// `--keep` with Arrow input and a text output: kept columns are Arrow buffers, copied as they are.
  public static var keepNeedsArrowOutput: PipeError {
    PipeError(.usage, "--keep with --in arrow needs --out arrow (the input columns are copied through)")
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
