/// An error onnxpipe reports to its user: what kind, a one-line message, and
/// where in the stream it happened.
///
/// The message is complete on its own ("frame 3 (byte 1200): ..."); the CLI
/// prefixes `onnxpipe:` and picks the exit status from `kind`.
public struct PipeError: Error, Equatable, CustomStringConvertible, Sendable {
  /// The class of failure; each maps to one documented exit status.
  public enum Kind: Sendable, Equatable {
    /// Bad command-line usage.
    case usage
    /// The input stream is malformed, or the model rejected a batch.
    case data
    /// A file (the model) could not be opened.
    case noInput
    /// The model cannot be loaded or does not fit the chosen format.
    case model
    /// Reading or writing failed.
    case io
    /// Downstream closed the pipe.
    case brokenPipe
    /// A bug: something this program should never do.
    case software
  }

  public let kind: Kind
  public let message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public var description: String { message }
}
