/// Where a batch came from, for error messages: "frame 3 (byte 1200)".
public struct BatchOrigin: Sendable, Equatable, CustomStringConvertible {
  /// What the number counts.
  public enum Unit: String, Sendable {
    case frame, line, record
  }

  public let unit: Unit
  /// 1-based number of the first frame/line/record of the batch.
  public let number: Int
  /// Byte offset in the input stream where the batch starts.
  public let byteOffset: UInt64

  public init(unit: Unit, number: Int, byteOffset: UInt64) {
    self.unit = unit
    self.number = number
    self.byteOffset = byteOffset
  }

  public var description: String { "\(unit.rawValue) \(number) (byte \(byteOffset))" }
}

/// A unit of work: the bytes the reader found, not yet parsed.
public struct Batch: Sendable {
  public var origin: BatchOrigin
  public var payload: [UInt8]

  public init(origin: BatchOrigin, payload: [UInt8]) {
    self.origin = origin
    self.payload = payload
  }
}

/// A scored batch: the output bytes to write and the rows they hold.
public struct ScoredBatch: Sendable, Equatable {
  public var bytes: [UInt8]
  public var rows: Int

  public init(bytes: [UInt8], rows: Int) {
    self.bytes = bytes
    self.rows = rows
  }
}

/// Finds batch boundaries in the input. Runs on the reader thread only and
/// may block in `read(2)`.
public protocol BatchSource {
  /// The next batch, nil at a clean end of input, or an error naming where the input went bad.
  mutating func next() throws(PipeError) -> Batch?
}

/// Parses, scores and formats one batch. Called from several worker threads at once.
public protocol BatchProcessor: Sendable {
  func process(_ batch: Batch) throws(PipeError) -> ScoredBatch
}

/// Where scored bytes go, in order. Called from the writer thread only.
public protocol OutputSink {
  /// Writes all of `bytes` or throws (`.brokenPipe` when the reader went away).
  mutating func write(_ bytes: UnsafeRawBufferPointer) throws(PipeError)
}
