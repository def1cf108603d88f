import COnnxRuntime

/// How a `Session` runs: threads, graph optimisation, execution mode.
public struct SessionOptions: Sendable, Equatable {
  /// Graph optimisation levels (`GraphOptimizationLevel`).
  public enum Optimization: Sendable, Equatable {
    case disabled, basic, extended, all
  }

  /// Threads one `Run` may use inside an operator. 1 runs on the caller's thread.
  public var intraOpThreads: Int
  /// Threads for running independent graph nodes in parallel (parallel mode only).
  public var interOpThreads: Int
  /// Graph optimisation level.
  public var optimization: Optimization
  /// Run independent nodes in parallel; off by default (sequential is faster on small graphs).
  public var parallelExecution: Bool

  /// Options for a filter with its own worker threads: one intra-op thread per `Run`.
  public init(
    intraOpThreads: Int = 1, interOpThreads: Int = 1, optimization: Optimization = .all,
    parallelExecution: Bool = false
  ) {
    self.intraOpThreads = intraOpThreads
    self.interOpThreads = interOpThreads
    self.optimization = optimization
    self.parallelExecution = parallelExecution
  }
}

/// Owns one `OrtSessionOptions` built from a `SessionOptions` value.
final class SessionOptionsHandle {
  let handle: OpaquePointer

  init(_ options: SessionOptions) throws(ORTError) {
    var raw: OpaquePointer?
    try check(ort.CreateSessionOptions!(&raw))
    handle = raw!
    try check(ort.SetIntraOpNumThreads!(handle, Int32(clamping: options.intraOpThreads)))
    try check(ort.SetInterOpNumThreads!(handle, Int32(clamping: options.interOpThreads)))
    let level: GraphOptimizationLevel
    switch options.optimization {
    case .disabled: level = ORT_DISABLE_ALL
    case .basic: level = ORT_ENABLE_BASIC
    case .extended: level = ORT_ENABLE_EXTENDED
    case .all: level = ORT_ENABLE_ALL
    }
    try check(ort.SetSessionGraphOptimizationLevel!(handle, level))
    try check(
      ort.SetSessionExecutionMode!(handle, options.parallelExecution ? ORT_PARALLEL : ORT_SEQUENTIAL))
    // Worker threads that spin between Runs steal the CPU our own workers need.
    try check(ort.AddSessionConfigEntry!(handle, "session.intra_op.allow_spinning", "0"))
  }

  deinit { ort.ReleaseSessionOptions!(handle) }
}
