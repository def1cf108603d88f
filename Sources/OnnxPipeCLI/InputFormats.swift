import OnnxPipeCore

/// What the format tables build a run's reader and writer from.
struct ScoringContext {
  let options: ScoreOptions
  /// The engine at start-up (a reload builds only a new reader).
  let engine: any InferenceEngine
  let adapter: ModelAdapter
  let intraThreads: Int
  let stats: PipelineStats
  let reporter: ProgressReporter

  /// The model file's name without its directories, for Arrow output metadata.
  var modelName: String {
    String(options.modelPath.split(separator: "/").last ?? Substring(options.modelPath))
  }
}

/// What `--keep` can copy through: a text input's records, or an Arrow input's columns.
enum KeptInput {
  case none
  case text(TextFormat)
  case arrow(ArrowRecordReader)
}

/// The input side of a run, opened on the stream: its batches, and the reader that decodes them.
struct OpenedInput {
  var source: AnyBatchSource
  /// The reader for an engine: the first model's, and each reloaded one's.
  var reader: @Sendable (any InferenceEngine) throws(PipeError) -> any RecordReader
  /// The model's input rows as this stream feeds them, for a writer's probe run.
  var probeInputs: [InputRow]
  var kept: KeptInput
  /// The input's Arrow schema metadata, carried into an Arrow output's.
  var metadata: [ArrowKeyValue] = []
  /// Raw frames merged or cut to a size (`--batch-rows`): the tuner choosing or holding it.
  var tuner: BatchSizeTuner?
  /// Bytes in one row of raw input frames (for the tuner).
  var rowBytes = 1
  /// Whether batches are merged, so a reloaded model must give the same rows whatever the run's size.
  var merges = false
  /// Called once the stream has ended.
  var finish: () -> Void = {}
}

/// The readers, by `--in` name: each opens the stream (reading a CSV header or
/// an Arrow schema first) and returns nil for an empty input.
enum InputFormats {
  typealias Open = @Sendable (ScoringContext, FileDescriptor) throws(PipeError) -> OpenedInput?

  static let table: [String: Open] = [
    "raw": openRaw, "arrow": openArrow, "ndjson": openText, "csv": openText, "lines": openText,
  ]

  /// NDJSON, CSV and lines: records split by the source, parsed by a `TextRecordReader`.
  static func openText(_ context: ScoringContext, _ input: FileDescriptor) throws(PipeError) -> OpenedInput? {
    let options = context.options
    let engine = context.engine
    let syntax = TextInputFormat(rawValue: options.input)!
    var source = TextBatchSource(
      input: input, syntax: syntax == .csv ? .csv : .lines, batchSize: options.batchSize,
      maxDelayMilliseconds: options.maxDelayMilliseconds, maxRecordBytes: options.maxRecordBytes,
      skipBlankRecords: syntax != .lines)
    var header: [UInt8]?
    var firstRecord: [UInt8]?
    if syntax == .csv && options.csvHeader == .absent {
      guard let record = try source.peekRecord() else { return nil }  // empty input
      firstRecord = record
    } else if syntax == .csv {
      guard let record = try source.nextRecord() else { return nil }  // no header: empty input
      if record.oversized { throw PipeError(.data, "line 1: CSV header longer than --max-record-bytes") }
      header = record.bytes
      firstRecord = try source.peekRecord()
    } else if syntax == .ndjson {
      firstRecord = try source.peekRecord()
    }
    var mapping = InputMapping(
      fields: options.fields, columns: options.columns, pinnedDimensions: options.pinnedDimensions,
      outputNames: options.outputs, outputPrefix: options.outputPrefix,
      missing: options.missingPolicy(for: engine.signature))
    if let first = firstRecord {  // CSV's and NDJSON's (lines have no free dimension to size)
      // A free row dimension takes its size from the first record.
      mapping.sizeDimensions(signature: engine.signature, input: syntax, firstRecord: first)
    }
    let format = try TextFormat(
      signature: engine.signature, input: syntax,
      output: TextOutputFormat(rawValue: options.output) ?? .ndjson,
      mapping: mapping, keep: options.keep, onError: options.onError, maxRecordBytes: options.maxRecordBytes,
      csvHeaderRecord: header, csvHeaderPolicy: options.csvHeader, firstRecord: firstRecord)
    let pool = source.bufferPool
    return OpenedInput(
      source: AnyBatchSource(source),
      reader: { engine in
        TextRecordReader(
          format: format.resolvingMissing(options.missingPolicy(for: engine.signature)), bufferPool: pool)
      },
      probeInputs: format.inputs, kept: .text(format))
  }

  /// Arrow IPC streams: the schema first, then a record batch at a time.
  static func openArrow(_ context: ScoringContext, _ input: FileDescriptor) throws(PipeError) -> OpenedInput?
  {
    let options = context.options
    var source = ArrowBatchSource(input: input, maxMessageBytes: options.maxFrameBytes)
    guard let schema = try source.readSchema() else { return nil }  // empty input: nothing to score
    let stats = context.stats
    let reader = { @Sendable (engine: any InferenceEngine) throws(PipeError) -> ArrowRecordReader in
      let mapping = InputMapping(
        fields: options.fields, columns: options.columns, pinnedDimensions: options.pinnedDimensions,
        outputNames: options.outputs, outputPrefix: options.outputPrefix,
        missing: options.missingPolicy(for: engine.signature))  // a reloaded model decides anew
      return try ArrowFormat.reader(
        schema: schema, signature: engine.signature, mapping: mapping, onError: options.onError, stats: stats)
    }
    let first = try reader(context.engine)
    return OpenedInput(
      source: AnyBatchSource(source), reader: reader, probeInputs: first.inputs,
      kept: options.keep ? .arrow(first) : .none, metadata: schema.metadata)
  }

  /// Raw frames: as they come, or merged and cut to a chosen number of rows (`--batch-rows`).
  static func openRaw(_ context: ScoringContext, _ input: FileDescriptor) throws(PipeError) -> OpenedInput? {
    let options = context.options
    let format = try RawFormat(
      signature: context.engine.signature, outputNames: options.outputs,
      pinnedDimensions: options.pinnedDimensions, mapKeys: context.adapter.mapKeys)
    let probeInputs =
      (try? context.engine.signature.inputRows(pinned: options.pinnedDimensions, format: "raw frames")) ?? []
    let reader: @Sendable (any InferenceEngine) throws(PipeError) -> any RecordReader = { _ in
      RawFrameReader(format: format)
    }
    guard let tuner = batchTuner(context, format: format) else {
      return OpenedInput(
        source: AnyBatchSource(RawFrameSource(input: input, maxFrameBytes: options.maxFrameBytes)),
        reader: reader, probeInputs: probeInputs, kept: .none)
    }
    let source = AdaptiveFrameSource(
      input: input, maxFrameBytes: options.maxFrameBytes, rowBytes: format.inputRowBytes!, tuner: tuner,
      maxDelayMilliseconds: options.maxDelayMilliseconds, singleInput: format.inputs.count == 1)
    let reporter = context.reporter
    return OpenedInput(
      source: AnyBatchSource(source), reader: reader, probeInputs: probeInputs, kept: .none, tuner: tuner,
      rowBytes: format.inputRowBytes!,
      merges: options.batchRows == nil && context.adapter.fixedRows == nil,
      finish: { if options.batchRows == nil { noteChoice(tuner, reporter) } })
  }

  /// How raw frames are batched (`--batch-rows`), or nil to run each frame
  /// as it comes. `auto` merges only when a model's outputs do not depend on
  /// the batch (else merging would change bytes), and then lets the stream's
  /// first runs choose the size. With intra-op threads, operators split a
  /// run's work by its size (a tree ensemble sums its trees in another order),
  /// so `auto` leaves frames as they come there too.
  private static func batchTuner(_ context: ScoringContext, format: RawFormat) -> BatchSizeTuner? {
    let options = context.options
    let reporter = context.reporter
    if let fixedRows = context.adapter.fixedRows, format.inputRowBytes != nil {
      // The model runs k rows at a time whatever we do (ModelAdapter cuts runs): frames are cut,
      // and small ones merged, to slices of a few hundred rows, whole runs each, so a frame's runs
      // go to every worker while each job still carries enough runs to pay for its hand-offs.
      reporter.note("batch_rows", "fixed(\(fixedRows))")
      return BatchSizeTuner(fixedRows: fixedRows * max(1, (256 + fixedRows - 1) / fixedRows))
    }
    guard format.inputRowBytes != nil, options.batchRows != 0 else {
      reporter.note("batch_rows", "off")
      return nil
    }
    if let fixed = options.batchRows {
      reporter.note("batch_rows", String(fixed))
      return BatchSizeTuner(fixedRows: fixed)
    }
    guard context.intraThreads == 1 else {
      reporter.note("batch_rows", "off(intra_threads)")
      return nil
    }
    guard let invariant = try? BatchCalibration.isBatchInvariant(engine: context.engine, format: format)
    else {
      reporter.note("batch_rows", "off(check_failed)")
      return nil
    }
    guard invariant else {
      reporter.note("batch_rows", "off(outputs_depend_on_batch)")
      return nil
    }
    return BatchSizeTuner()
  }

  /// `batch_rows=4096(auto) batch_tuning=64:1210000,512:2870000,4096:3020000`
  /// (each size's rows per second of CPU time), or `(auto,unsettled)` when
  /// the stream ended before every size was measured.
  private static func noteChoice(_ tuner: BatchSizeTuner, _ reporter: ProgressReporter) {
    reporter.note("batch_rows", "\(tuner.targetRows)(auto\(tuner.isSettled ? "" : ",unsettled"))")
    let rates = tuner.measurements.map { "\($0.rows):\(Int($0.rowsPerSecond))" }
    if !rates.isEmpty { reporter.note("batch_tuning", rates.joined(separator: ",")) }
    if tuner.recheckCount > 0 { reporter.note("batch_rechecks", String(tuner.recheckCount)) }
  }
}
