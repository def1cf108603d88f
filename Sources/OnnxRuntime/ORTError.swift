import COnnxRuntime

/// An error reported by ONNX Runtime: its error code and its own message.
public struct ORTError: Error, CustomStringConvertible, Sendable {
  /// ONNX Runtime's error category (`OrtErrorCode`).
  public enum Code: Sendable, Equatable {
    case fail, invalidArgument, noSuchFile, noModel, engineError, runtimeException
    case invalidProtobuf, modelLoaded, notImplemented, invalidGraph, executionProviderFail
    case other(Int)

    init(_ raw: OrtErrorCode) {
      switch raw {
      case ORT_FAIL: self = .fail
      case ORT_INVALID_ARGUMENT: self = .invalidArgument
      case ORT_NO_SUCHFILE: self = .noSuchFile
      case ORT_NO_MODEL: self = .noModel
      case ORT_ENGINE_ERROR: self = .engineError
      case ORT_RUNTIME_EXCEPTION: self = .runtimeException
      case ORT_INVALID_PROTOBUF: self = .invalidProtobuf
      case ORT_MODEL_LOADED: self = .modelLoaded
      case ORT_NOT_IMPLEMENTED: self = .notImplemented
      case ORT_INVALID_GRAPH: self = .invalidGraph
      case ORT_EP_FAIL: self = .executionProviderFail
      default: self = .other(Int(raw.rawValue))
      }
    }
  }

  /// The error category.
  public let code: Code
  /// ONNX Runtime's message, verbatim.
  public let message: String

  /// Creates an error; used by this module and by tests.
  public init(code: Code, message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }
}

/// Turns an `OrtStatus*` into a thrown `ORTError`, releasing the status.
///
/// A NULL status means success. Every C call that returns a status goes
/// through here, so no status is ever leaked or ignored.
func check(_ status: OpaquePointer?) throws(ORTError) {
  guard let status else { return }
  let code = ORTError.Code(ort.GetErrorCode!(status))
  let message = ort.GetErrorMessage!(status).map { String(cString: $0) } ?? "unknown error"
  ort.ReleaseStatus!(status)
  throw ORTError(code: code, message: message)
}
