import OnnxPipeCore
import OnnxRuntime
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Loads the model again from its path (SIGHUP, or `--watch` when the file
/// changes) while the old one keeps scoring, and hands the pipeline a new
/// processor once the new model is ready: batches admitted from then on use
/// it. A model that fails to load, or that does not take and give what the
/// running formats were built for, is refused with one line on stderr and
/// the old one keeps serving.
///
/// One load at a time, on a thread of its own; a request during a load runs
/// one more load after it (the file may have changed again meanwhile). `stop`
/// waits for a load under way before the process exits: exiting under it tore
/// ONNX Runtime's globals down while the load used them (a crash at exit).
final class ModelReloader: Sendable {
  typealias Build = @Sendable (any InferenceEngine) throws(PipeError) -> any BatchProcessor

  private let options: ScoreOptions
  private let intraThreads: Int
  private let stats: PipelineStats
  /// The signature the running formats were built for.
  private let reference: ModelSignature
  /// Whether the running layout merges batches (raw adaptive batching), which needs a new model
  /// whose outputs do not depend on the batch either.
  private let requiresBatchInvariance: Bool
  private let build: Build
  private let replace: @Sendable (any BatchProcessor) -> Void
  /// Tells adaptive batching to measure again once a new model scores.
  private let remeasure: @Sendable () -> Void
  private let state = Locked(State())

  private struct State {
    var running = false
    var pending = false
    /// `stop` was called: no load starts again.
    var stopped = false
    /// The thread of the last load started, joined by the next one or by `stop`.
    var thread: OwnedThread?
  }

  init(
    options: ScoreOptions, intraThreads: Int, stats: PipelineStats, reference: ModelSignature,
    requiresBatchInvariance: Bool, build: @escaping Build,
    replace: @escaping @Sendable (any BatchProcessor) -> Void, remeasure: @escaping @Sendable () -> Void
  ) {
    self.options = options
    self.intraThreads = intraThreads
    self.stats = stats
    self.reference = reference
    self.requiresBatchInvariance = requiresBatchInvariance
    self.build = build
    self.replace = replace
    self.remeasure = remeasure
  }

  /// Starts a reload (or queues one behind the load under way). Returns at once.
  func request() {
    state.withLock { state in
      guard !state.stopped else { return }
      if state.running {
        state.pending = true
        return
      }
      state.running = true
      // The last load's thread has finished its work (it cleared `running`): this returns at once.
      state.thread?.join()
      state.thread = OwnedThread { [self] in
        while true {
          reloadOnce()
          let again = self.state.withLock { state -> Bool in
            if state.pending && !state.stopped {
              state.pending = false
              return true
            }
            state.running = false
            return false
          }
          if !again { return }
        }
      }
    }
  }

  /// Starts no more loads and waits for the one under way, if any; called before the process exits.
  func stop() {
    let thread = state.withLock { state -> OwnedThread? in
      state.stopped = true
      defer { state.thread = nil }
      return state.thread
    }
    thread?.join()
  }

  /// Polls the model file every second and reloads when its identity
  /// (device, inode, size, modification time) changes: `rename(2)` over it, or a rewrite.
  func watchFile() {
    OwnedThread { [self] in
      var last = Self.fileIdentity(options.modelPath)
      while true {
        sleep(1)
        let now = Self.fileIdentity(options.modelPath)
        if let now, now != last {
          last = now
          request()
        }
      }
    }.detach()
  }

  private func reloadOnce() {
    do throws(PipeError) {
      let session = try ModelLoader.load(
        path: options.modelPath, intraThreads: intraThreads, optimization: options.optimization)
      let scoring = try ScoreCommand.makeEngine(
        session: session, options: options, intraThreads: intraThreads, stats: stats, reporter: nil)
      let signature = scoring.adapter.signature
      guard Self.same(signature.inputs, reference.inputs), Self.same(signature.outputs, reference.outputs)
      else {
        throw PipeError(
          .model,
          "it takes \(describe(signature)), the running model \(describe(reference)); restart onnxpipe to change them"
        )
      }
      if requiresBatchInvariance,
        BatchCalibration.batchInvariance(engine: scoring.adapter, pinnedDimensions: options.pinnedDimensions)
          != true
      {
        throw PipeError(
          .model,
          "its outputs depend on how rows are batched, and frames are being merged (--batch-rows auto); restart onnxpipe with it"
        )
      }
      replace(try build(scoring.engine))
      stats.modelIdentity.withLock { $0 = scoring.identity }
      stats.reloads.add(1, ordering: .relaxed)
      remeasure()
    } catch {
      stats.reloadFailures.add(1, ordering: .relaxed)
      try? FileDescriptor.standardError.writeAll(
        "onnxpipe: reloading '\(options.modelPath)' failed, the running model goes on: \(error.message)\n")
    }
  }

  /// Whether two lists of inputs or outputs take and give the same: names, types, fixed sizes
  /// (a free dimension matches a free one whatever its name: exporters name them as they like).
  private static func same(_ new: [TensorSpec], _ old: [TensorSpec]) -> Bool {
    func normalized(_ spec: TensorSpec) -> TensorSpec {
      guard case .tensor(let element, let shape) = spec.kind else { return spec }
      let dims = shape.map { dim -> Dimension in if case .fixed = dim { dim } else { .symbolic("") } }
      return TensorSpec(name: spec.name, kind: .tensor(element, dims))
    }
    return new.map(normalized) == old.map(normalized)
  }

  /// `inputs x float32[N,4] / outputs label int64[N], ...` for a message.
  private func describe(_ signature: ModelSignature) -> String {
    "inputs " + signature.inputs.map { "\($0.name) \($0.typeDescription)" }.joined(separator: ", ")
      + " and outputs " + signature.outputs.map { "\($0.name) \($0.typeDescription)" }.joined(separator: ", ")
  }

  /// What tells one version of the file from the next.
  private struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: Int
    var modifiedNanoseconds: Int
  }

  private static func fileIdentity(_ path: String) -> FileIdentity? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return FileIdentity(
      device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
      modified: info.st_mtim.tv_sec, modifiedNanoseconds: info.st_mtim.tv_nsec)
  }
}
