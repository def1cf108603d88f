import OnnxPipeCore

/// onnxpipe's exit statuses (sysexits.h where one fits). Documented in the man page.
public enum ExitStatus: Int32, Sendable, CaseIterable {
  /// Every record was scored and written.
  case success = 0
  /// Bad command-line usage (EX_USAGE).
  case usage = 64
  /// Malformed input, or the model rejected a batch (EX_DATAERR).
  case dataError = 65
  /// The model file cannot be opened (EX_NOINPUT).
  case noInput = 66
  /// An internal error (EX_SOFTWARE).
  case software = 70
  /// Reading input or writing output failed (EX_IOERR).
  case ioError = 74
  /// The model cannot be loaded or does not fit the format (EX_CONFIG).
  case modelError = 78
  /// Interrupted by SIGINT after flushing what was read (128 + 2).
  case interrupted = 130
  /// Terminated by SIGTERM after flushing what was read (128 + 15).
  case terminated = 143

  /// The status for an error of `kind`. A broken pipe is handled before this
  /// (the process ends by SIGPIPE), so it maps to success only as a fallback.
  public init(for kind: PipeError.Kind) {
    switch kind {
    case .usage: self = .usage
    case .data: self = .dataError
    case .noInput: self = .noInput
    case .model: self = .modelError
    case .io: self = .ioError
    case .brokenPipe: self = .success
    case .software: self = .software
    }
  }
}
