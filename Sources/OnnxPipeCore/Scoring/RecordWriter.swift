/// Which output records a batch gets, in order.
public enum OutputRecords: Sendable {
  /// One per record, record i showing row i of the results.
  case all(Int)
  /// The records listed, each with its row of the results or nil (nulls, `--on-error null`).
  case listed([(record: Int, row: Int?)])

  /// How many output records.
  public var count: Int {
    switch self {
    case .all(let count): count
    case .listed(let records): records.count
    }
  }

  /// Calls `body` with each output record's input record and row.
  @inline(__always)
  func forEach(_ body: (_ record: Int, _ row: Int?) -> Void) {
    switch self {
    case .all(let count): for index in 0..<count { body(index, index) }
    case .listed(let records): for item in records { body(item.record, item.row) }
    }
  }

  /// Each output record's row, nil for nulls.
  var rows: [Int?] {
    switch self {
    case .all(let count): Array(0..<count)
    case .listed(let records): records.map(\.row)
    }
  }
}

/// Turns a batch's model outputs into bytes: one writer per output format
/// (NDJSON, CSV, Arrow, raw frames). Called from several worker threads at once.
public protocol RecordWriter: Sendable {
  /// The outputs written (indices into the model's outputs), in the order `append` gets them.
  var outputIndices: [Int] { get }
  /// Bytes written before the first batch (a CSV header, an Arrow schema).
  var preamble: [UInt8] { get }
  /// Bytes written after the last batch when the stream ends cleanly (Arrow's end-of-stream marker).
  var epilogue: [UInt8] { get }
  /// Whether the slices of one large raw frame are joined into one output (a raw frame);
  /// otherwise each slice's records are written as they come.
  var joinsSlices: Bool { get }
  /// Whether every output must have a row per scored record (checked before `append`);
  /// raw frames pass a frame's outputs through whatever their length.
  var needsRowOutputs: Bool { get }

  /// Appends the output for one batch.
  /// - Parameters:
  ///   - results: the selected outputs for the batch's scored rows; nil when nothing was scored.
  ///   - records: the output records, in order.
  ///   - decoded: the batch as read (kept records, frame groups).
  func append(
    _ results: [OutputTensor]?, records: OutputRecords, decoded: DecodedRecords, to out: inout [UInt8]
  ) throws(PipeError)

  /// As `append(_:records:decoded:to:)`, with output that follows `out` handed over in
  /// `blocks` rather than copied into it (arrays written as they are, in order).
  func append(
    _ results: [OutputTensor]?, records: OutputRecords, decoded: DecodedRecords, to out: inout [UInt8],
    blocks: inout [[UInt8]]
  ) throws(PipeError)

  /// The output of a frame whose slices were scored apart: `results` are their outputs joined.
  func appendJoined(_ results: [OutputTensor], rows: Int, to out: inout [UInt8]) throws(PipeError)
}

extension RecordWriter {
  public var epilogue: [UInt8] { [] }
  public var joinsSlices: Bool { false }
  public var needsRowOutputs: Bool { true }
  public func appendJoined(_ results: [OutputTensor], rows: Int, to out: inout [UInt8]) throws(PipeError) {
    throw PipeError(.software, "this output format does not join slices")
  }
  /// Everything in `out`: formats whose output is made record by record have no blocks to hand over.
  public func append(
    _ results: [OutputTensor]?, records: OutputRecords, decoded: DecodedRecords, to out: inout [UInt8],
    blocks: inout [[UInt8]]
  ) throws(PipeError) {
    try append(results, records: records, decoded: decoded, to: &out)
  }
}
