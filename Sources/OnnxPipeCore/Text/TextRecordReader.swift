/// Reads a batch of text records (NDJSON, CSV, lines): parses each record
/// into input columns and notes the records that cannot be scored, by line.
public struct TextRecordReader: RecordReader {
  public let format: TextFormat

  /// Where each batch's payload goes once its output is written (the source's pool).
  private let bufferPool: BufferPool?

  public init(format: TextFormat, bufferPool: BufferPool? = nil) {
    self.format = format
    self.bufferPool = bufferPool
  }

  public func withRecords<R>(_ batch: Batch, _ body: (DecodedRecords) throws(PipeError) -> R)
    throws(PipeError) -> R
  {
    defer { bufferPool?.give(batch.payload) }
    var columns = format.inputs.map { Column($0, rowCapacity: batch.records.count) }
    var fates: [RecordFate] = []
    fates.reserveCapacity(batch.records.count)
    var failure: PipeError?
    var rows = 0
    // For inputs whose rows differ in length (NDJSON, a free dimension), where each row ends.
    var rowEnds: [[Int]?] = format.inputs.map { $0.raggedStride == nil ? nil : [] }
    let ragged = rowEnds.contains { $0 != nil }
    let result = batch.payload.withUnsafeBytes { payload -> Result<R, PipeError> in
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
      let spans = batch.records
      let decoded = DecodedRecords(
        count: fates.count, fates: rows == fates.count ? nil : fates, failure: failure, rows: rows,
        kept: .text(TextRecords(payload: payload, spans: spans)), isUnit: false,
        location: { records in
          let first = spans[records.lowerBound].line
          let last = spans[max(records.upperBound - 1, records.lowerBound)].line
          return first == last ? "line \(first)" : "lines \(first)-\(last)"
        },
        deadLetter: { record, reason, out in
          Self.appendDeadLetter(
            line: spans[record].line, reason: reason,
            record: UnsafeRawBufferPointer(rebasing: payload[spans[record].range]), to: &out)
        },
        run: { [columns, rowEnds] engine, outputs in
          try ragged
            ? Self.runRagged(columns, rowEnds: rowEnds, rows: rows, engine: engine, outputs: outputs)
            : Self.runColumns(columns, rows: rows, engine: engine, outputs: outputs)
        })
      do throws(PipeError) { return .success(try body(decoded)) } catch { return .failure(error) }
    }
    return try result.get()
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

  /// `{"line":N,"reason":"...","record":"..."}` for the --errors file.
  private static func appendDeadLetter(
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
