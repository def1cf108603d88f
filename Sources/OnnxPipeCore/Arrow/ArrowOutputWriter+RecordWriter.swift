/// Arrow IPC output: the schema first, a record batch per batch, the end-of-stream marker last.
extension ArrowOutputWriter: RecordWriter {
  public var outputIndices: [Int] { columns.map(\.index) }
  public var preamble: [UInt8] { schemaMessage }
  public var epilogue: [UInt8] { ArrowMessage.endOfStream }

  /// One record batch: a row per output record (nulls for a rejected one under
  /// `--on-error null`), after the input's columns with `--keep`. A batch of
  /// text records none of which is written gives none; an input record batch
  /// or frame always gives one, so the output's batches follow the input's.
  public func append(
    _ results: [OutputTensor]?, records: OutputRecords, decoded: DecodedRecords, to out: inout [UInt8]
  ) throws(PipeError) {
    guard records.count > 0 || decoded.isUnit else { return }
    var view: ArrowBatchView?
    if case .arrow(let input, let dictionaries) = decoded.kept {
      view = input
      // Kept dictionary-encoded columns need the dictionary batches read since the last batch, first.
      out += try dictionaryMessages(dictionaries)
    }
    let batch = try recordBatch(results: results, rows: records.rows, input: view)
    if out.isEmpty { out = batch } else { out += batch }  // the common case takes the bytes as made
  }
}
