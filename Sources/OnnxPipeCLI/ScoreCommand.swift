import OnnxPipeCore

/// `onnxpipe [OPTIONS] MODEL`: score stdin to stdout.
enum ScoreCommand {
  /// Runs the filter and returns how it ended; never exits by itself except
  /// through a broken pipe, which ends the process by SIGPIPE like any filter.
  static func run(_ options: ScoreOptions) throws(PipeError) -> ExitStatus {
    let started = monotonicNanoseconds()
    let session = try ModelLoader.load(
      path: options.modelPath, intraThreads: options.intraThreads, optimization: options.optimization)
    let engine = OrtEngine(session: session)
    let format = try RawFormat(
      signature: engine.signature, outputNames: options.outputs, pinnedDimensions: options.pinnedDimensions)
    let pipeline = Pipeline(
      source: RawFrameSource(input: .standardInput, maxFrameBytes: options.maxFrameBytes),
      processor: RawFrameProcessor(format: format, engine: engine),
      sink: FileDescriptorSink(.standardOutput),
      configuration: PipelineConfiguration(workers: options.workers, window: options.queueDepth))
    Signals.watch { [pipeline] signal in pipeline.interrupt(signal: signal) }
    let reporter = ProgressReporter(stats: pipeline.stats, started: started)
    let live = options.progress && FileDescriptor.standardError.isTerminal
    if live { reporter.startLiveLine() }
    let outcome = pipeline.run()
    reporter.stop(erase: live)
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
}
