import OnnxPipeCore
import OnnxRuntime

#if canImport(Glibc)
  import Glibc
#endif

/// `onnxpipe [OPTIONS] MODEL [FILE...]`: score stdin (or the files) to stdout.
enum ScoreCommand {
  /// The size stdin's and stdout's pipes are grown to (`FileDescriptor.growPipeBuffer`).
  static let pipeBufferBytes = 256 << 10

  /// Runs the filter on `input` and returns how it ended; never exits by itself except
  /// through a broken pipe, which ends the process by SIGPIPE like any filter.
  static func run(_ options: ScoreOptions, input: FileDescriptor = .standardInput) throws(PipeError)
    -> ExitStatus
  {
    let started = monotonicNanoseconds()
    MallocTuning.apply()
    // Pipes of 256 KiB rather than the kernel's 64 KiB: the producer and the reader (the writer
    // and the consumer) take turns four times less often. logreg, 20 M rows in 4096-row frames,
    // -j 2, `cat | onnxpipe > tmpfs`, 8 interleaved runs: 0.615 s at 64 KiB, 0.510 s at 256 KiB,
    // 0.475 s at 1 MiB. Not 1 MiB: a user's pipes share a budget (pipe-user-pages-soft, 64 MiB
    // by default) past which the kernel gives that user's new pipes 8 KiB; at 256 KiB for both
    // ends, 128 onnxpipe processes (a Spark host's partitions, a ClickHouse pool) fit in it.
    input.growPipeBuffer(to: pipeBufferBytes)
    FileDescriptor.standardOutput.growPipeBuffer(to: pipeBufferBytes)
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
      workers: workers, window: options.queueDepthGiven ? options.queueDepth : 16 * workers)
    if !options.queueDepthGiven {
      // Two batches a worker always; up to 16 while they hold under 4 MiB: small frames (an
      // overhead-bound model's) then queue deep enough that no worker waits on the reader.
      // logreg, 20M rows in 4096-row raw frames, -j 2: 0.47-0.50 s at 4 batches, 0.37-0.45 s at 64.
      configuration.minimumWindow = 2 * workers
      configuration.windowBytes = 4 << 20
    }
    let outcome: PipelineOutcome
    let live = options.progress && FileDescriptor.standardError.isTerminal
    var metrics: MetricsFile?
    /// Runs `source` through a pipeline whose processor `build` makes from an engine: now from
    /// this model, and again from each reloaded one (SIGHUP, --watch).
    func runPipeline(
      _ source: AnyBatchSource, deadLetters: (any OutputSink)?, merges: Bool, tuner: BatchSizeTuner?,
      _ build: @escaping ModelReloader.Build
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
      defer { reloader.stop() }
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
    // One reader and one writer, chosen by format; the pipeline and the processor are the same for all.
    let context = ScoringContext(
      options: options, engine: engine, adapter: adapter, intraThreads: intraThreads, stats: stats,
      reporter: reporter)
    guard let opened = try InputFormats.table[options.input]!(context, input) else { return .success }
    let writer = try OutputFormats.table[options.output]!(context, opened)
    configuration.preamble = writer.preamble
    configuration.epilogue = writer.epilogue
    let deadLetters = try options.errorsPath.map { (path) throws(PipeError) in try openForWriting(path) }
    let (reader, tuner, rowBytes) = (opened.reader, opened.tuner, opened.rowBytes)
    outcome = try runPipeline(
      opened.source, deadLetters: deadLetters, merges: opened.merges, tuner: opened.tuner
    ) { engine throws(PipeError) in
      let processor = ScoringProcessor(
        reader: try reader(engine), writer: writer, engine: engine, outputs: writer.outputIndices,
        onError: options.onError)
      guard let tuner, !tuner.isSettled else { return processor }
      return TunedProcessor(processor, tuner: tuner, rowBytes: rowBytes)
    }
    opened.finish()
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
