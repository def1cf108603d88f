import OnnxPipeCore

/// The writers, by `--out` name. Each writes any input's outputs; `--keep`
/// copies the input through where both formats have a place for it and is
/// refused, with the reason, where they do not.
enum OutputFormats {
  typealias Make = @Sendable (ScoringContext, OpenedInput) throws(PipeError) -> any RecordWriter

  static let table: [String: Make] = [
    "ndjson": textWriter, "csv": textWriter, "arrow": arrowWriter, "raw": rawWriter,
  ]

  /// NDJSON or CSV: a text input's own layout (which `--keep` copies from), or the outputs alone.
  static func textWriter(_ context: ScoringContext, _ input: OpenedInput) throws(PipeError)
    -> any RecordWriter
  {
    let options = context.options
    var format: TextFormat
    switch input.kept {
    case .text(let textFormat):
      format = textFormat
    case .arrow:
      throw ArrowFormat.keepNeedsArrowOutput
    case .none:
      format = try TextFormat(
        writing: TextOutputFormat(rawValue: options.output)!, signature: context.engine.signature,
        outputNames: options.outputs, outputPrefix: options.outputPrefix)
    }
    if format.needsProbe { try format.probeOutputs(engine: context.engine, inputs: input.probeInputs) }
    try format.checkWrittenNames()
    return TextRecordWriter(format: format)
  }

  /// Arrow IPC: a record batch per batch, after the input's columns with `--keep` (Arrow input).
  static func arrowWriter(_ context: ScoringContext, _ input: OpenedInput) throws(PipeError)
    -> any RecordWriter
  {
    let options = context.options
    var keeping: ArrowRecordReader?
    switch input.kept {
    case .text where options.keep:
      throw PipeError(.usage, "--keep with --out arrow needs --in arrow (text records have no Arrow columns)")
    case .text: break
    case .arrow(let reader):
      keeping = reader
    case .none: break
    }
    return try ArrowFormat.writer(
      engine: context.engine, outputs: try context.engine.signature.selectOutputs(options.outputs),
      prefix: options.outputPrefix, probeInputs: input.probeInputs, keeping: keeping,
      inputMetadata: input.metadata, modelName: context.modelName)
  }

  /// Raw frames: each selected output's block, one frame per input frame (or per batch of records).
  static func rawWriter(_ context: ScoringContext, _ input: OpenedInput) throws(PipeError) -> any RecordWriter
  {
    let options = context.options
    // --keep and --on-error null are refused with --out raw (ScoreOptions): raw frames hold neither.
    return RawFrameWriter(
      format: try RawFormat(
        signature: context.engine.signature, outputNames: options.outputs,
        pinnedDimensions: options.pinnedDimensions, mapKeys: context.adapter.mapKeys, readsInputs: false))
  }
}
