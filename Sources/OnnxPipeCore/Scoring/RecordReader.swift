/// What became of one input record.
public enum RecordFate: Sendable, Equatable {
  /// Scored: its row in the model's results.
  case row(Int)
  /// Left out of the run, with the reason (`--on-error skip|null`).
  case rejected(String)
}

/// The records of a batch as the writers may copy them through (`--keep`).
enum KeptRecords {
  /// Nothing to keep (raw frames), or `--keep` not given.
  case none
  /// Text records: each record's bytes, without its line ending.
  case text(TextRecords)
  /// An Arrow record batch, and the dictionaries read up to it.
  case arrow(ArrowBatchView, ArrowDictionaries?)
}

/// The text records of one batch, over the batch's payload.
struct TextRecords {
  let payload: UnsafeRawBufferPointer
  let spans: [RecordSpan]

  /// Record `index`'s bytes.
  func original(_ index: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: payload[spans[index].range])
  }
}

/// One batch, decoded by a `RecordReader`: how many records it holds, what
/// became of each, and how to run the model on the rows to score. Valid only
/// inside the `withRecords` call that made it (it may point into the batch).
public struct DecodedRecords {
  /// The records decoded; each becomes an output record unless rejected.
  public var count: Int
  /// Each record's fate, or nil when every record is scored and record i is row i.
  public var fates: [RecordFate]?
  /// Under `--on-error fail`, the first bad record: `count` holds the records before it,
  /// which are written before the run stops.
  public var failure: PipeError?
  /// Rows to score: the records whose fate is `.row`.
  public var rows: Int
  /// The records for writers that copy them through (`--keep`).
  var kept: KeptRecords
  /// Row counts of the input frames merged into this batch, each written as a frame of its
  /// own by writers that keep the input's framing; nil for one.
  public var groups: [Int]?
  /// Whether the batch is a unit the user sees (an Arrow record batch, a raw frame): writers then
  /// give it an output unit even when it has no rows. Text batches are just runs of records.
  public var isUnit: Bool
  /// Where the batch is, for a message about a run over the records `first..<end`.
  let location: (_ records: Range<Int>) -> String
  /// Appends the `--errors` line for a rejected record.
  let deadLetter: (_ record: Int, _ reason: String, _ out: inout [UInt8]) -> Void
  /// Runs the model on the rows to score, selecting `outputs`.
  let run: (_ engine: any InferenceEngine, _ outputs: [Int]) throws -> [OutputTensor]

  init(
    count: Int, fates: [RecordFate]? = nil, failure: PipeError? = nil, rows: Int, kept: KeptRecords = .none,
    groups: [Int]? = nil, isUnit: Bool, location: @escaping (Range<Int>) -> String,
    deadLetter: @escaping (Int, String, inout [UInt8]) -> Void = { _, _, _ in },
    run: @escaping (any InferenceEngine, [Int]) throws -> [OutputTensor]
  ) {
    self.count = count
    self.fates = fates
    self.failure = failure
    self.rows = rows
    self.kept = kept
    self.groups = groups
    self.isUnit = isUnit
    self.location = location
    self.deadLetter = deadLetter
    self.run = run
  }
}

/// Turns a batch's bytes into named input tensors for the model: one reader
/// per input format (NDJSON, CSV, lines, Arrow, raw frames). Called from
/// several worker threads at once.
public protocol RecordReader: Sendable {
  /// Decodes `batch` and calls `body` with its records; what `body` gets points into the
  /// batch and lives only for the call. Errors that stop the whole batch (a malformed
  /// frame or record batch) are thrown, naming where.
  func withRecords<R>(_ batch: Batch, _ body: (DecodedRecords) throws(PipeError) -> R) throws(PipeError) -> R

  /// The batches a merged batch was made of (raw frames), scored one by one when the
  /// merged run fails so that the error names the frame at fault; nil for the others.
  func split(_ batch: Batch) -> [Batch]?
}

extension RecordReader {
  public func split(_ batch: Batch) -> [Batch]? { nil }
}
