import OnnxPipeCore
import OnnxRuntime
import Synchronization

/// The engine a run scores with, from a loaded session: the same layers at
/// start-up and on every reload.
///
/// ```
///   OrtEngine or SessionPoolEngine -> ModelAdapter -> RunSplittingEngine (--deterministic) -> ModelFieldEngine (--model-field)
///             -> MeteredEngine (--metrics; added by the pipeline, so that start-up checks are not counted)
/// ```
extension ScoreCommand {
  /// What `makeEngine` builds.
  struct Scoring {
    let adapter: ModelAdapter
    let engine: any InferenceEngine
    /// The model file's identity when it was loaded ("" unless `--model-field` or `--metrics` shows it).
    let identity: String
  }

  /// The engine for `session`; `reporter` nil on a reload (notes and notices are for start-up).
  static func makeEngine(
    session: Session, options: ScoreOptions, intraThreads: Int, stats: PipelineStats,
    reporter: ProgressReporter?
  ) throws(PipeError) -> Scoring {
    let engineStart = monotonicNanoseconds()
    // The file's SHA-256 costs a read of the whole model: only when something shows it.
    let shown = options.modelField != nil || options.metricsPath != nil
    let identity = shown ? ModelIdentity.of(path: options.modelPath) ?? "unknown" : ""
    let adapter = try adapt(
      baseEngine(session: session, workers: options.workers, intraThreads: intraThreads), options,
      quiet: reporter == nil)
    var engine = runLayout(adapter, options, intraThreads: intraThreads, reporter: reporter)
    if let field = options.modelField { engine = ModelFieldEngine(engine, name: field, value: identity) }
    if let reporter {
      let timing = ModelLoader.timing.withLock { $0 }
      let ready = monotonicNanoseconds()
      reporter.note(
        "startup_ms",
        "runtime:\(Format.milliseconds(timing.runtimeNanoseconds)),load:\(Format.milliseconds(timing.loadNanoseconds)),"
          + "engine:\(Format.milliseconds(ready - engineStart))")
      engine = FirstRunClock(engine, since: ready) { reporter.note("first_run_ms", Format.milliseconds($0)) }
    }
    return Scoring(adapter: adapter, engine: engine, identity: identity)
  }

  /// ONNX Runtime behind the `InferenceEngine` protocol: a session per worker for a model loaded
  /// with its bytes because its operators contend (`ModelLoader`), with several single-threaded
  /// workers; otherwise one session every worker shares.
  static func baseEngine(session: Session, workers: Int, intraThreads: Int) -> any InferenceEngine {
    guard let bytes = session.modelData?.count, workers > 1, intraThreads == 1 else {
      return OrtEngine(session: session)
    }
    // Measured: a session costs about 130 KB plus 1.2 to 4.5 times the file (text_clf 1.7 KB: 132 KB;
    // rf32 286 KB: 1.3 MB; mlp512 1.1 MB: 2.1 MB). The extra ones stay within `sessionBudget`.
    let perSession = 256 << 10 + 5 * bytes
    return SessionPoolEngine(session: session, limit: min(workers, max(1, 1 + sessionBudget / perSession)))
  }

  /// The most memory the sessions beyond the first may take, all together.
  static let sessionBudget = 256 << 20

  /// The model as the formats see it (`ModelAdapter`): outputs that are not
  /// per row are left out, with one line on stderr unless `--outputs` chose,
  /// and naming one in `--outputs` is a usage error.
  static func adapt(_ engine: any InferenceEngine, _ options: ScoreOptions, quiet: Bool) throws(PipeError)
    -> ModelAdapter
  {
    let adapter = ModelAdapter(
      engine, convertHalfFloats: options.input != "raw", pinnedDimensions: options.pinnedDimensions)
    if let named = options.outputs, let output = adapter.leftOut.first(where: { named.contains($0.name) }) {
      throw PipeError(
        .usage,
        "--outputs: output '\(output.name)' is not one row per record (a probe run returned \(output.description)), so no format can write it per record"
      )
    }
    if options.outputs == nil, !adapter.leftOut.isEmpty, !quiet {
      let names = adapter.leftOut.map { "'\($0.name)' (\($0.description))" }.joined(separator: ", ")
      try? FileDescriptor.standardError.writeAll(
        "onnxpipe: leaving out outputs that are not one row per record: \(names)\n")
    }
    return adapter
  }

  /// The engine as the pipeline uses it. Under `--deterministic`, a model
  /// whose rows can come out differently with the rows run beside them (the
  /// check fails or cannot run, or operators split work over intra-op
  /// threads) runs one row at a time, so no output depends on batching.
  static func runLayout(
    _ engine: any InferenceEngine, _ options: ScoreOptions, intraThreads: Int, reporter: ProgressReporter?
  ) -> any InferenceEngine {
    guard options.deterministic else { return engine }
    var invariant: Bool?
    if intraThreads == 1 {
      invariant = BatchCalibration.batchInvariance(
        engine: engine, pinnedDimensions: options.pinnedDimensions,
        largest: options.isText ? options.batchSize : 4096)
    }
    let reason =
      intraThreads > 1 ? "intra_threads" : invariant == nil ? "unchecked" : "outputs_depend_on_batch"
    reporter?.note("runs", invariant == true ? "batched(batch_invariant)" : "one_row(\(reason))")
    return invariant == true ? engine : RunSplittingEngine(engine, rowsPerRun: 1)
  }

}

/// Calls `report` once, with the nanoseconds from `since` (start-up done) to the end of the first
/// run on data: waiting for the first batch to be read, and running it (`--stats` `first_run_ms=`).
final class FirstRunClock: InferenceEngine {
  private let engine: any InferenceEngine
  private let since: UInt64
  private let report: @Sendable (UInt64) -> Void
  private let reported = Atomic<Bool>(false)

  init(_ engine: any InferenceEngine, since: UInt64, report: @escaping @Sendable (UInt64) -> Void) {
    self.engine = engine
    self.since = since
    self.report = report
  }

  var signature: ModelSignature { engine.signature }

  func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    let results = try engine.run(inputs, outputs: outputs)
    if !reported.load(ordering: .relaxed), !reported.exchange(true, ordering: .relaxed) {
      report(monotonicNanoseconds() - since)
    }
    return results
  }
}
