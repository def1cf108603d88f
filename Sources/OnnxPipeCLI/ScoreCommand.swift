import OnnxPipeCore
import OnnxRuntime

#if canImport(Glibc)
  import Glibc
#endif

/// `onnxpipe [OPTIONS] MODEL [FILE...]`: score stdin (or the files) to stdout.
enum ScoreCommand {
  /// Runs the filter on `input` and returns how it ended; never exits by itself except
  /// through a broken pipe, which ends the process by SIGPIPE like any filter.
  static func run(_ options: ScoreOptions, input: FileDescriptor = .standardInput) throws(PipeError)
    -> ExitStatus
  {
    let started = monotonicNanoseconds()
    let stats = PipelineStats()
    let reporter = ProgressReporter(stats: stats, started: started)
    let session: Session
    var workers = options.workers
    var intraThreads = options.intraThreads
    if options.threadsAuto {
      let choice = try ThreadChoice.choose(options)
      session = choice.session
      workers = choice.workers
      intraThreads = choice.intraThreads
      reporter.note("workers", "\(choice.workers)(auto)")
      reporter.note("intra_threads", "\(choice.intraThreads)(auto)")
    } else {
      session = try ModelLoader.load(
        path: options.modelPath, intraThreads: options.intraThreads, optimization: options.optimization)
    }
    let scoring = try makeEngine(
      session: session, options: options, intraThreads: intraThreads, stats: stats, reporter: reporter)
    stats.modelIdentity.withLock { $0 = scoring.identity }
    let adapter = scoring.adapter
    let engine = scoring.engine
    var configuration = PipelineConfiguration(
      workers: workers, window: options.queueDepthGiven ? options.queueDepth : 2 * workers)
    let outcome: PipelineOutcome
    let live = options.progress && FileDescriptor.standardError.isTerminal
    var metrics: MetricsFile?
    /// Runs `source` through a pipeline whose processor `build` makes from an engine: now from
    /// this model, and again from each reloaded one (SIGHUP, --watch).
    func runPipeline<Source: BatchSource>(
      _ source: Source, deadLetters: (any OutputSink)? = nil, merges: Bool = false,
      tuner: BatchSizeTuner? = nil, _ build: @escaping ModelReloader.Build
    ) throws(PipeError) -> PipelineOutcome {
      let delay = faultDelayMicroseconds()
      let metered = options.metricsPath != nil
      let wrapped: ModelReloader.Build = { engine throws(PipeError) in
        let processor = try build(metered ? MeteredEngine(engine, stats: stats) : engine)
        return delay.map { DelayingProcessor(processor, maxDelayMicroseconds: $0) } ?? processor
      }
      let pipeline = Pipeline(
        source: source, processor: try wrapped(engine), sink: FileDescriptorSink(.standardOutput),
        configuration: configuration, stats: stats, deadLetters: deadLetters)
      Signals.onInterrupt({ [pipeline] signal in pipeline.interrupt(signal: signal) }) { [stats] in
        stats.bytesOut.load(ordering: .relaxed) &+ stats.rows.load(ordering: .relaxed)
      }
      let reloader = ModelReloader(
        options: options, intraThreads: intraThreads, stats: stats, reference: adapter.signature,
        requiresBatchInvariance: merges, build: wrapped,
        replace: { [pipeline] in pipeline.replaceProcessor($0) },
        remeasure: { tuner?.remeasure() })
      Signals.onReloadAndStatus(
        reload: { reloader.request() },
        status: { try? FileDescriptor.standardError.writeAll(reporter.summaryLine()) })
      if options.watch { reloader.watchFile() }
      if let path = options.metricsPath {
        metrics = MetricsFile(
          path: path, interval: options.metricsInterval, stats: stats, modelPath: options.modelPath,
          inFlight: { [pipeline] in pipeline.batchesInFlight })
        try metrics!.start()
      }
      if live { reporter.startLiveLine() }
      return pipeline.run()
    }
    let missing = options.missingPolicy(for: engine.signature)
    if options.isText {
      var source = TextBatchSource(
        input: input, syntax: options.input == "csv" ? .csv : .lines, batchSize: options.batchSize,
        maxDelayMilliseconds: options.maxDelayMilliseconds, maxRecordBytes: options.maxRecordBytes,
        skipBlankRecords: options.input != "lines")
      var header: [UInt8]?
      var firstRecord: [UInt8]?
      if options.input == "csv" && options.csvHeader == .absent {
        guard let record = try source.peekRecord() else { return .success }  // empty input
        firstRecord = record
      } else if options.input == "csv" {
        guard let record = try source.nextRecord() else { return .success }  // no header: empty input
        if record.oversized { throw PipeError(.data, "line 1: CSV header longer than --max-record-bytes") }
        header = record.bytes
        firstRecord = try source.peekRecord()
      }
      var mapping = TextFormat.Mapping(
        fields: options.fields, columns: options.columns, pinnedDimensions: options.pinnedDimensions,
        outputNames: options.selectedOutputs, outputPrefix: options.outputPrefix, missing: missing)
      if options.input != "lines", let first = options.input == "csv" ? firstRecord : try source.peekRecord()
      {
        // A free row dimension takes its size from the first record.
        mapping.sizeDimensions(
          signature: engine.signature, input: TextInputFormat(rawValue: options.input)!, firstRecord: first)
      }
      var format = try TextFormat(
        signature: engine.signature, input: TextInputFormat(rawValue: options.input)!,
        output: TextOutputFormat(rawValue: options.output) ?? .ndjson, mapping: mapping,
        keep: options.keep, onError: options.onError, maxRecordBytes: options.maxRecordBytes,
        csvHeaderRecord: header, csvHeaderPolicy: options.csvHeader, firstRecord: firstRecord)
      var arrowWriter: ArrowOutputWriter?
      if options.output == "arrow" {
        arrowWriter = try ArrowFormat.writer(format: format, engine: engine, modelName: modelName(options))
        configuration.preamble = arrowWriter!.schemaMessage
      } else {
        if format.needsProbe { try format.probeOutputs(engine: engine) }
        try format.checkKeptNames()
        configuration.preamble = format.outputHeader()
      }
      let deadLetters = try options.errorsPath.map { (path) throws(PipeError) in try openForWriting(path) }
      let pool = source.bufferPool
      outcome = try runPipeline(source, deadLetters: deadLetters) { [format, arrowWriter] engine in
        TextBatchProcessor(
          format: format.resolvingMissing(options.missingPolicy(for: engine.signature)), engine: engine,
          arrowWriter: arrowWriter, bufferPool: pool)
      }
    } else if options.input == "arrow" {
      var source = ArrowBatchSource(input: input, maxMessageBytes: options.maxFrameBytes)
      guard let schema = try source.readSchema() else { return .success }  // empty input: nothing to score
      let mapping = TextFormat.Mapping(
        fields: options.fields, columns: options.columns, pinnedDimensions: options.pinnedDimensions,
        outputNames: options.selectedOutputs, outputPrefix: options.outputPrefix, missing: missing)
      let modelName = modelName(options)
      configuration.preamble = try ArrowFormat.processor(
        schema: schema, engine: engine, output: options.output, mapping: mapping, keep: options.keep,
        onError: options.onError, modelName: modelName, stats: stats
      ).preamble
      let deadLetters = try options.errorsPath.map { (path) throws(PipeError) in try openForWriting(path) }
      outcome = try runPipeline(source, deadLetters: deadLetters) { [stats] engine throws(PipeError) in
        var mapping = mapping
        mapping.missing = options.missingPolicy(for: engine.signature)  // a reloaded model decides anew
        return try ArrowFormat.processor(
          schema: schema, engine: engine, output: options.output, mapping: mapping, keep: options.keep,
          onError: options.onError, modelName: modelName, stats: stats
        ).0
      }
    } else {
      let format = try RawFormat(
        signature: engine.signature, outputNames: options.selectedOutputs,
        pinnedDimensions: options.pinnedDimensions, mapKeys: adapter.mapKeys)
      if let tuner = batchTuner(
        options, format: format, engine: engine, fixedRows: adapter.fixedRows, intraThreads: intraThreads,
        reporter: reporter)
      {
        let merges = options.batchRows == nil && adapter.fixedRows == nil
        outcome = try runPipeline(
          AdaptiveFrameSource(
            input: input, maxFrameBytes: options.maxFrameBytes, rowBytes: format.inputRowBytes!,
            tuner: tuner, maxDelayMilliseconds: options.maxDelayMilliseconds,
            singleInput: format.inputs.count == 1), merges: merges, tuner: tuner
        ) { engine in RawFrameProcessor(format: format, engine: engine, tuner: tuner.isSettled ? nil : tuner)
        }
        if options.batchRows == nil { noteChoice(tuner, reporter) }
      } else {
        outcome = try runPipeline(RawFrameSource(input: input, maxFrameBytes: options.maxFrameBytes)) {
          engine in RawFrameProcessor(format: format, engine: engine)
        }
      }
    }
    if options.output == "arrow", outcome == .finished || outcome.isInterrupted {
      // The end-of-stream marker, after every batch written (not after a failure: the stream stays cut).
      var sink = FileDescriptorSink(.standardOutput)
      do { try sink.write(ArrowFormat.endOfStream) } catch  where error.kind == .brokenPipe {
        Signals.dieOfBrokenPipe()
      }
    }
    reporter.stop(erase: live)
    if let metrics { try? metrics.write() }
    if options.stats { try? FileDescriptor.standardError.writeAll(reporter.summaryLine()) }
    switch outcome {
    case .finished:
      return .success
    case .interrupted(let signal):
      return signal == 15 ? .terminated : .interrupted
    case .failed(let error) where error.kind == .brokenPipe:
      Signals.dieOfBrokenPipe()
    case .failed(let error):
      throw error
    }
  }

  /// How raw frames are batched (`--batch-rows`), or nil to run each frame
  /// as it comes. `auto` merges only when a model's outputs do not depend on
  /// the batch (else merging would change bytes), and then lets the stream's
  /// first runs choose the size. With intra-op threads, operators split a
  /// run's work by its size (a tree ensemble sums its trees in another order),
  /// so `auto` leaves frames as they come there too.
  private static func batchTuner(
    _ options: ScoreOptions, format: RawFormat, engine: any InferenceEngine, fixedRows: Int?,
    intraThreads: Int,
    reporter: ProgressReporter
  ) -> BatchSizeTuner? {
    if let fixedRows, format.inputRowBytes != nil {
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
    guard intraThreads == 1 else {
      reporter.note("batch_rows", "off(intra_threads)")
      return nil
    }
    guard let invariant = try? BatchCalibration.isBatchInvariant(engine: engine, format: format) else {
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

  /// The model file's name without its directories, for Arrow output metadata.
  private static func modelName(_ options: ScoreOptions) -> String {
    String(options.modelPath.split(separator: "/").last ?? Substring(options.modelPath))
  }

  /// `ONNXPIPE_FAULT_DELAY_US`: a test aid that delays each batch by a random
  /// 0...N microseconds so workers finish out of order (documented in the man page).
  private static func faultDelayMicroseconds() -> UInt32? {
    guard let text = getenv("ONNXPIPE_FAULT_DELAY_US") else { return nil }
    return UInt32(String(cString: text)).flatMap { $0 > 0 ? $0 : nil }
  }

  /// Opens `path` for the dead-letter file (created or truncated).
  private static func openForWriting(_ path: String) throws(PipeError) -> FileDescriptorSink {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw PipeError(.io, "--errors: cannot create '\(path)': \(String(cString: strerror(errno)))")
    }
    return FileDescriptorSink(FileDescriptor(rawValue: descriptor))
  }
}

extension PipelineOutcome {
  fileprivate var isInterrupted: Bool {
    if case .interrupted = self { return true }
    return false
  }
}
