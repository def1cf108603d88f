extension TextFormat {
  /// Appends one output record: the outputs of row `row` from
  /// `results`, or nulls when `results` is nil, after the kept input if `--keep`.
  /// `results` comes from `OutputRows.with`, once per batch.
  func appendRecord(
    original: UnsafeRawBufferPointer, keepOriginal: Bool, results: UnsafeBufferPointer<OutputRows>?,
    row: Int, to out: inout [UInt8]
  ) {
    switch output {
    case .ndjson:
      appendNDJSONRecord(
        original: original, keepOriginal: keepOriginal, results: results, row: row, to: &out)
    case .csv:
      appendCSVRecord(
        original: original, keepOriginal: keepOriginal, results: results, row: row, to: &out)
    }
  }
}
