/// Where a batch came from, for error messages: "frame 3 (byte 1200)".
public struct BatchOrigin: Sendable, Equatable, CustomStringConvertible {
  /// What the number counts.
  public enum Unit: String, Sendable {
    case frame, line, record, batch
  }

  public let unit: Unit
  /// 1-based number of the first frame/line/record of the batch.
  public let number: Int
  /// Byte offset in the input stream where the batch starts, when known.
  public let byteOffset: UInt64?

  public init(unit: Unit, number: Int, byteOffset: UInt64?) {
    self.unit = unit
    self.number = number
    self.byteOffset = byteOffset
  }

  public var description: String {
    byteOffset.map { "\(unit.rawValue) \(number) (byte \($0))" } ?? "\(unit.rawValue) \(number)"
  }
}

/// Where one text record sits in a batch's payload.
public struct RecordSpan: Sendable, Equatable {
  /// The record's bytes in the payload, without its line ending.
  public var range: Range<Int>
  /// 1-based input line where the record starts.
  public var line: Int
  /// The record was longer than --max-record-bytes; `range` holds only its start.
  public var oversized: Bool

  public init(range: Range<Int>, line: Int, oversized: Bool = false) {
    self.range = range
    self.line = line
    self.oversized = oversized
  }
}

/// One raw frame inside a batch of merged frames.
public struct FrameSpan: Sendable, Equatable {
  /// The frame's payload in the batch's payload.
  public var range: Range<Int>
  /// 1-based position of the frame in the stream.
  public var number: Int
  /// Byte offset of the frame's length prefix in the stream.
  public var offset: UInt64

  public init(range: Range<Int>, number: Int, offset: UInt64) {
    self.range = range
    self.number = number
    self.offset = offset
  }
}

/// Which rows of a large raw frame a batch scores; the frame's other slices
/// are the batches next to it, and the writer joins their results.
public struct FrameSlice: Sendable, Equatable {
  /// The rows to score, counted in the batch's payload (the whole frame, or
  /// just this slice's rows when the frame is read slice by slice).
  public var rows: Range<Int>
  /// Whether this is the frame's last slice.
  public var isLast: Bool

  public init(rows: Range<Int>, isLast: Bool) {
    self.rows = rows
    self.isLast = isLast
  }
}

/// A unit of work: the bytes the reader found, not yet parsed.
public struct Batch: Sendable {
  public var origin: BatchOrigin
  public var payload: [UInt8]
  /// For text formats, the records in `payload`; empty for raw frames.
  public var records: [RecordSpan]
  /// Bytes of format metadata at the start of `payload` before the data
  /// (an Arrow message's metadata); 0 for the other formats.
  public var bodyOffset: Int
  /// Raw frames merged into this batch (adaptive batching), back to back in
  /// `payload`; empty for a batch of one frame.
  public var frames: [FrameSpan] = []
  /// Set when this batch is one slice of a large raw frame (`payload` is the whole frame).
  public var slice: FrameSlice?
  /// An Arrow record batch's dictionaries as they stand when it was read.
  public var arrowDictionaries: ArrowDictionaries?

  /// Input bytes this batch adds to the stream's count (a frame's slices count it once).
  public var inputBytes: Int {
    guard let slice else { return payload.count }
    return slice.rows.lowerBound == 0 ? payload.count : 0
  }

  public init(origin: BatchOrigin, payload: [UInt8], records: [RecordSpan] = [], bodyOffset: Int = 0) {
    self.origin = origin
    self.payload = payload
    self.records = records
    self.bodyOffset = bodyOffset
  }
}

/// A scored batch: the output bytes to write and the rows they hold.
public struct ScoredBatch: Sendable, Equatable {
  public var bytes: [UInt8]
  /// Output that follows `bytes`, handed over as it is rather than copied into it (a raw
  /// frame's output blocks, the arrays the model wrote); written in order after `bytes`.
  public var blocks: [[UInt8]]
  public var rows: Int
  /// Records rejected (skipped or written as nulls) under --on-error skip|null.
  public var rejected: Int
  /// Dead-letter lines (NDJSON) for the --errors file, in record order.
  public var deadLetters: [UInt8]
  /// Set under --on-error fail: the first bad record. `bytes` holds every
  /// record before it; the run stops with this error once they are written.
  public var failure: PipeError?
  /// For a slice of a large frame: its outputs, joined with the other slices' by `BatchProcessor.join`.
  public var partial: [OutputTensor]?
  /// More slices of the same frame follow; the writer holds this one until the last.
  public var isPartial: Bool

  public init(
    bytes: [UInt8], blocks: [[UInt8]] = [], rows: Int, rejected: Int = 0, deadLetters: [UInt8] = [],
    failure: PipeError? = nil, partial: [OutputTensor]? = nil, isPartial: Bool = false
  ) {
    self.bytes = bytes
    self.blocks = blocks
    self.rows = rows
    self.rejected = rejected
    self.deadLetters = deadLetters
    self.failure = failure
    self.partial = partial
    self.isPartial = isPartial
  }
}

extension ScoredBatch {
  /// `bytes` and then `blocks`, in one array (a copy).
  public var allBytes: [UInt8] { blocks.isEmpty ? bytes : bytes + blocks.joined() }
}

/// Finds batch boundaries in the input. Runs on the reader thread only and
/// may block in `read(2)`.
public protocol BatchSource: SendableMetatype {
  /// The next batch, nil at a clean end of input, or an error naming where the input went bad.
  mutating func next() throws(PipeError) -> Batch?

  /// A source that holds read records between batches (text) returns an
  /// interruption: on SIGINT/SIGTERM the pipeline triggers it, and `next()`
  /// hands over what it holds and then returns nil. Sources without one are
  /// cut off at once (a raw frame is all or nothing).
  var interruption: Interruption? { get }

  /// Called once `next()` has returned nil at the end of input and everything before it has been
  /// written: a source whose format marks its own end (Arrow's end-of-stream marker) reads on to
  /// the end of input and throws if anything follows, which would otherwise be dropped unread.
  mutating func finishInput() throws(PipeError)
}

extension BatchSource {
  public var interruption: Interruption? { nil }
  public mutating func finishInput() throws(PipeError) {}
}

/// Parses, scores and formats one batch. Called from several worker threads at once.
public protocol BatchProcessor: Sendable {
  func process(_ batch: Batch) throws(PipeError) -> ScoredBatch

  /// Joins the results of the slices of one batch, in order, into its result.
  func join(_ parts: [ScoredBatch]) throws(PipeError) -> ScoredBatch
}

extension BatchProcessor {
  /// Concatenates the parts' bytes.
  public func join(_ parts: [ScoredBatch]) throws(PipeError) -> ScoredBatch {
    ScoredBatch(bytes: parts.flatMap(\.allBytes), rows: parts.reduce(0) { $0 + $1.rows })
  }
}

/// Where scored bytes go, in order. Called from the writer thread only.
public protocol OutputSink: SendableMetatype {
  /// Writes all of `bytes` or throws (`.brokenPipe` when the reader went away).
  mutating func write(_ bytes: UnsafeRawBufferPointer) throws(PipeError)

  /// Writes all of `parts`, in order.
  mutating func write(parts: [[UInt8]]) throws(PipeError)
}

extension OutputSink {
  /// Writes all of `parts`, in order; a sink over a file descriptor gathers them into one `writev(2)`.
  public mutating func write(parts: [[UInt8]]) throws(PipeError) {
    for part in parts { try write(part) }
  }

  /// Writes all of `bytes`.
  public mutating func write(_ bytes: [UInt8]) throws(PipeError) {
    var failure: PipeError?
    bytes.withUnsafeBytes { raw in
      do throws(PipeError) { try write(raw) } catch { failure = error }
    }
    if let failure { throw failure }
  }
}

/// Any batch source, behind one type: the command picks the source by the input format.
public struct AnyBatchSource: BatchSource {
  private var base: any BatchSource
  public let interruption: Interruption?

  public init(_ base: some BatchSource) {
    self.base = base
    interruption = base.interruption
  }

  public mutating func next() throws(PipeError) -> Batch? {
    try base.next()
  }

  public mutating func finishInput() throws(PipeError) {
    try base.finishInput()
  }
}
