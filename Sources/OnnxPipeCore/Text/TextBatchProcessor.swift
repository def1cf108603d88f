/// Scores one batch of text records: parse each record into input columns,
/// run the model once on the good rows, print one output record per input
/// record, and apply `--on-error` to the bad ones.
public struct TextBatchProcessor: BatchProcessor {
  public let format: TextFormat
  public let engine: any InferenceEngine
  private let outputIndices: [Int]
  /// Set for `--out arrow`: each batch becomes one Arrow record batch instead of text records.
  private let arrowWriter: ArrowOutputWriter?

  /// Where each batch's payload goes once its output is written (the source's pool).
  private let bufferPool: BufferPool?

  public init(
    format: TextFormat, engine: any InferenceEngine, arrowWriter: ArrowOutputWriter? = nil,
    bufferPool: BufferPool? = nil
  ) {
    self.format = format
    self.engine = engine
    self.arrowWriter = arrowWriter
    self.bufferPool = bufferPool
    outputIndices = format.outputs.map(\.index)
  }

  /// What became of one record.
  private enum Fate {
    case row(Int)
    case rejected(String)
  }

  public func process(_ batch: Batch) throws(PipeError) -> ScoredBatch {
    defer { bufferPool?.give(batch.payload) }
    var columns = format.inputs.map { Column($0, rowCapacity: batch.records.count) }
    var fates: [Fate] = []
    fates.reserveCapacity(batch.records.count)
    var failure: PipeError?
    var rows = 0
    // For inputs whose rows differ in length (NDJSON, a free dimension), where each row ends.
    var rowEnds: [[Int]?] = format.inputs.map { $0.raggedStride == nil ? nil : [] }
    let ragged = rowEnds.contains { $0 != nil }
    batch.payload.withUnsafeBytes { payload in
      for record in batch.records {
        let bytes = UnsafeRawBufferPointer(rebasing: payload[record.range])
        do throws(RecordError) {
          try decode(bytes, oversized: record.oversized, into: &columns)
          fates.append(.row(rows))
          rows += 1
          if ragged {
            for index in rowEnds.indices where rowEnds[index] != nil {
              rowEnds[index]!.append(columns[index].count)
            }
          }
        } catch {
          if format.onError == .fail {
            failure = PipeError(.data, "line \(record.line): \(error.reason)")
            break
          }
          fates.append(.rejected(error.reason))
        }
      }
    }
    var results: [OutputTensor]?
    if rows > 0 {
      do {
        results = try run(columns, rows: rows, rowEnds: ragged ? rowEnds : nil)
      } catch {
        let reason =
          "model run failed: " + "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
        if format.onError == .fail {
          let first = batch.records.first!.line
          let last = batch.records[max(fates.count - 1, 0)].line
          throw PipeError(
            .data, first == last ? "line \(first): \(reason)" : "lines \(first)-\(last): \(reason)")
        }
        fates = fates.map { fate in if case .row = fate { .rejected(reason) } else { fate } }
      }
    }
    if let arrowWriter {
      return try renderArrow(arrowWriter, batch, fates: fates, results: results, rows: rows, failure: failure)
    }
    return render(batch, fates: fates, results: results, rows: rows, failure: failure)
  }

  /// The batch as one Arrow record batch: a row per scored record, and a null
  /// row per rejected one under `--on-error null`.
  private func renderArrow(
    _ writer: ArrowOutputWriter, _ batch: Batch, fates: [Fate], results: [OutputTensor]?, rows: Int,
    failure: PipeError?
  ) throws(PipeError) -> ScoredBatch {
    var shown: [Int?] = []
    shown.reserveCapacity(fates.count)
    var deadLetters: [UInt8] = []
    let rejected = forEachOutput(batch, fates, deadLetters: &deadLetters) { _, _, row in shown.append(row) }
    let bytes = shown.isEmpty ? [] : try writer.recordBatch(results: results, rows: shown, input: nil)
    return ScoredBatch(
      bytes: bytes, rows: rows, rejected: rejected, deadLetters: deadLetters, failure: failure)
  }

  private func decode(_ bytes: UnsafeRawBufferPointer, oversized: Bool, into columns: inout [Column])
    throws(RecordError)
  {
    if oversized {
      throw RecordError("record longer than --max-record-bytes \(format.maxRecordBytes)")
    }
    guard isValidUTF8(bytes) else { throw RecordError("record is not valid UTF-8") }
    switch format.decoder {
    case .ndjson(let decoder): try decoder.decode(bytes, into: &columns)
    case .csv(let decoder): try decoder.decode(bytes, into: &columns)
    case .lines:
      if bytes.contains(0) { throw RecordError("line contains a NUL byte") }
      try columns[0].appendString(String(decoding: bytes, as: UTF8.self))
    }
  }

  private func run(_ columns: [Column], rows: Int, rowEnds: [[Int]?]?) throws -> [OutputTensor] {
    let results =
      try rowEnds.map { ends in
        try Self.runRagged(columns, rowEnds: ends, rows: rows, engine: engine, outputs: outputIndices)
      } ?? Self.runColumns(columns, rows: rows, engine: engine, outputs: outputIndices)
    for (spec, result) in zip(format.outputs, results) where result.rowCount != rows {
      throw PipeError(.data, "output '\(spec.name)' has \(result.rowCount) rows for \(rows) records")
    }
    return results
  }

  /// Runs `engine` on the columns' tensors (borrowed, no copy).
  static func runColumns(
    _ columns: [Column], rows: Int, engine: any InferenceEngine, outputs: [Int]
  ) throws -> [OutputTensor] {
    func call(_ index: Int, _ tensors: [InputTensor]) throws -> [OutputTensor] {
      guard index < columns.count else { return try engine.run(tensors, outputs: outputs) }
      let column = columns[index]
      let shape = [rows] + column.input.rowShape
      if column.input.element == .string {
        let tensor = InputTensor(element: .string, shape: shape, contents: .strings(column.strings))
        return try call(index + 1, tensors + [tensor])
      }
      return try column.withUnsafeBytes { raw in
        try call(
          index + 1,
          tensors + [InputTensor(element: column.input.element, shape: shape, contents: .bytes(raw))])
      }
    }
    return try call(0, [])
  }

  private func render(
    _ batch: Batch, fates: [Fate], results: [OutputTensor]?, rows: Int, failure: PipeError?
  ) -> ScoredBatch {
    var out: [UInt8] = []
    out.reserveCapacity(batch.payload.count / 2 + fates.count * 48)
    var deadLetters: [UInt8] = []
    let rejected = OutputRows.with(results) { views in
      forEachOutput(batch, fates, deadLetters: &deadLetters) { original, record, row in
        if let row {
          format.appendRecord(original: original, keepOriginal: true, results: views, row: row, to: &out)
        } else {
          format.appendRecord(
            original: original, keepOriginal: keepable(original, record), results: nil, row: 0, to: &out)
        }
      }
    }
    return ScoredBatch(bytes: out, rows: rows, rejected: rejected, deadLetters: deadLetters, failure: failure)
  }

  /// Walks the records in order: a dead letter for each rejected one, and `show`
  /// for each output record with its row of the results (nil: a rejected record
  /// written with null outputs, under `--on-error null`). Returns the rejected count.
  private func forEachOutput(
    _ batch: Batch, _ fates: [Fate], deadLetters: inout [UInt8],
    _ show: (_ original: UnsafeRawBufferPointer, _ record: RecordSpan, _ row: Int?) -> Void
  ) -> Int {
    var rejected = 0
    batch.payload.withUnsafeBytes { payload in
      for (record, fate) in zip(batch.records, fates) {
        let original = UnsafeRawBufferPointer(rebasing: payload[record.range])
        switch fate {
        case .row(let row): show(original, record, row)
        case .rejected(let reason):
          rejected += 1
          appendDeadLetter(line: record.line, reason: reason, record: original, to: &deadLetters)
          if format.onError == .null { show(original, record, nil) }
        }
      }
    }
    return rejected
  }

  /// Whether a rejected record can still be copied into its null output (`--keep`).
  private func keepable(_ original: UnsafeRawBufferPointer, _ record: RecordSpan) -> Bool {
    if record.oversized { return false }
    switch format.input {
    case .lines: return isValidUTF8(original)
    case .csv: return (try? CSVRecord.fields(original).count) == format.csvHeader.count
    case .ndjson:
      var scanner = JSONScanner(original)
      guard scanner.peek() == UInt8(ascii: "{"), (try? scanner.skipValue()) != nil else { return false }
      return scanner.peek() == nil
    }
  }

  /// `{"line":N,"reason":"...","record":"..."}` for the --errors file.
  private func appendDeadLetter(
    line: Int, reason: String, record: UnsafeRawBufferPointer, to out: inout [UInt8]
  ) {
    out.append(contentsOf: "{\"line\":\(line),\"reason\":".utf8)
    ValueText.appendJSONString(reason.utf8, to: &out)
    out.append(contentsOf: ",\"record\":".utf8)
    ValueText.appendJSONString(String(decoding: record, as: UTF8.self).utf8, to: &out)
    out.append(contentsOf: "}\n".utf8)
  }
}

/// Whether `bytes` is valid UTF-8; ASCII (the common case) is checked a word at a time.
func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
  var index = 0
  // 32 bytes a step while all are ASCII (one test for four loads), then 8, then one.
  while index + 32 <= bytes.count {
    let any =
      bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
      | bytes.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
      | bytes.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self)
      | bytes.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self)
    if any & 0x8080_8080_8080_8080 != 0 { break }
    index += 32
  }
  while index + 8 <= bytes.count {
    if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
    index += 8
  }
  while index < bytes.count && bytes[index] < 0x80 { index += 1 }
  if index == bytes.count { return true }
  return String(validating: UnsafeRawBufferPointer(rebasing: bytes[index...]), as: UTF8.self) != nil
}
