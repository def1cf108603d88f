import COnnxRuntime

/// Owns the process's `OrtEnv`: ONNX Runtime's logging and global state.
///
/// ONNX Runtime allows one environment per process; every `Session` holds a
/// reference to it so the environment outlives all sessions.
public final class Environment: @unchecked Sendable {
  // @unchecked Sendable: the handle is written once in init and only passed to
  // ONNX Runtime calls documented as thread-safe (CreateSession).
  private let handle: OpaquePointer

  /// The shared environment, created on first use. Logs only fatal errors:
  /// failures reach the caller as thrown `ORTError`s instead.
  public static let shared: Environment = {
    LockOrderTracking.disable()
    do { return try Environment(logLevel: ORT_LOGGING_LEVEL_FATAL) } catch {
      fatalError("onnxpipe: cannot create the ONNX Runtime environment: \(error)")
    }
  }()

  private init(logLevel: OrtLoggingLevel) throws(ORTError) {
    var env: OpaquePointer?
    try check(ort.CreateEnv!(logLevel, "onnxpipe", &env))
    handle = env!
  }

  deinit { ort.ReleaseEnv!(handle) }

  /// Calls `body` with the raw `OrtEnv*`; the pointer must not escape.
  func withUnsafeHandle<R, E: Error>(_ body: (OpaquePointer) throws(E) -> R) throws(E) -> R {
    try body(handle)
  }
}
