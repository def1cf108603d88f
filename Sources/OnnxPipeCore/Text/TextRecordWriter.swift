/// Writes NDJSON or CSV: one output record per input record, with the input's
/// fields first under `--keep` (text input only), and a CSV header first.
public struct TextRecordWriter: RecordWriter {
  /// The layout written: outputs, names, and, for `--keep`, the input format's.
  public let format: TextFormat

  /// - Parameter format: a text input's format (which `--keep` copies from), or one made
  ///   with `TextFormat(writing:...)` for another input format.
  public init(format: TextFormat) {
    self.format = format
  }

  public var outputIndices: [Int] { format.outputs.map(\.index) }
  public var preamble: [UInt8] { format.outputHeader() }

  public func append(
    _ results: [OutputTensor]?, records: OutputRecords, decoded: DecodedRecords, to out: inout [UInt8]
  ) throws(PipeError) {
    out.reserveCapacity(out.count + records.count * 48)
    var text: TextRecords?
    if case .text(let records) = decoded.kept { text = records }
    let none = UnsafeRawBufferPointer(start: nil, count: 0)
    OutputRows.with(results) { views in
      records.forEach { record, row in
        let original = text?.original(record) ?? none
        if let row {
          format.appendRecord(original: original, keepOriginal: true, results: views, row: row, to: &out)
        } else {
          let keepable = text.map { canKeep(original, oversized: $0.spans[record].oversized) } ?? false
          format.appendRecord(original: original, keepOriginal: keepable, results: nil, row: 0, to: &out)
        }
      }
    }
  }

  /// Whether a rejected record can still be copied into its null output (`--keep`).
  private func canKeep(_ original: UnsafeRawBufferPointer, oversized: Bool) -> Bool {
    if oversized { return false }
    switch format.input {
    case .lines: return isValidUTF8(original)
    case .csv: return (try? CSVRecord.fields(original).count) == format.csvHeader.count
    case .ndjson:
      var scanner = JSONScanner(original)
      guard scanner.peek() == UInt8(ascii: "{"), (try? scanner.skipValue()) != nil else { return false }
      return scanner.peek() == nil
    }
  }
}
