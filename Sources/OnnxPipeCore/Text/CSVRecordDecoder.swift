/// Splits one CSV record (RFC 4180) into fields: comma-separated, a field in
/// double quotes may hold commas, newlines and doubled quotes (`""`).
enum CSVRecord {
  /// One field: its bytes in the record, and whether they need unquoting.
  struct Field {
    var range: Range<Int>
    var quoted: Bool
  }

  /// The fields of `record`, or an error naming the column where quoting breaks.
  static func fields(_ record: UnsafeRawBufferPointer) throws(RecordError) -> [Field] {
    var fields: [Field] = []
    var index = 0
    let count = record.count
    while true {
      if index < count && record[index] == UInt8(ascii: "\"") {
        let start = index + 1
        index += 1
        while true {
          guard index < count else {
            throw RecordError("CSV field \(fields.count + 1): unterminated quoted field")
          }
          if record[index] == UInt8(ascii: "\"") {
            if index + 1 < count && record[index + 1] == UInt8(ascii: "\"") {
              index += 2
              continue
            }
            break
          }
          index += 1
        }
        fields.append(Field(range: start..<index, quoted: true))
        index += 1
        guard index == count || record[index] == UInt8(ascii: ",") else {
          throw RecordError("CSV field \(fields.count): text after a closing quote")
        }
      } else {
        let start = index
        while index < count && record[index] != UInt8(ascii: ",") { index += 1 }
        fields.append(Field(range: start..<index, quoted: false))
      }
      if index >= count { return fields }
      index += 1  // the comma
    }
  }

  /// A field's text with the quoting removed.
  static func value(_ field: Field, in record: UnsafeRawBufferPointer) -> [UInt8] {
    let bytes = record[field.range]
    guard field.quoted else { return Array(bytes) }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var skipNext = false
    for byte in bytes {
      if skipNext {
        skipNext = false
        continue
      }
      out.append(byte)
      if byte == UInt8(ascii: "\"") { skipNext = true }
    }
    return out
  }

  /// Appends `text` as one CSV field, quoted when it holds a comma, quote, CR or LF.
  static func appendField(_ text: some Collection<UInt8>, to out: inout [UInt8]) {
    let needsQuotes = text.contains {
      $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D
    }
    guard needsQuotes else {
      out.append(contentsOf: text)
      return
    }
    out.append(UInt8(ascii: "\""))
    for byte in text {
      out.append(byte)
      if byte == UInt8(ascii: "\"") { out.append(byte) }
    }
    out.append(UInt8(ascii: "\""))
  }
}

/// Reads CSV records into input columns, by column index per input element.
/// Records must already be checked to be valid UTF-8 (`TextRecordReader` checks each once).
struct CSVRecordDecoder: Sendable {
  let inputs: [InputRow]
  /// For each input, the CSV column index of each of its row's elements.
  let columns: [[Int]]
  /// Fields every record must have (the header's count).
  let fieldCount: Int
  /// Whether the fields are, all and in order, one float32 input's row (the
  /// common numeric CSV): a record of plain numbers is then read in one pass.
  private let fieldsAreOneFloatRow: Bool

  init(inputs: [InputRow], columns: [[Int]], fieldCount: Int) {
    self.inputs = inputs
    self.columns = columns
    self.fieldCount = fieldCount
    fieldsAreOneFloatRow =
      inputs.count == 1 && inputs[0].element == .float32 && columns[0] == Array(0..<fieldCount)
  }

  func decode(_ record: UnsafeRawBufferPointer, into builders: inout [Column]) throws(RecordError) {
    if fieldsAreOneFloatRow, builders[0].appendPlainFloatFields(record) { return }
    for index in builders.indices { builders[index].beginRow() }
    do throws(RecordError) {
      let fields = try CSVRecord.fields(record)
      guard fields.count == fieldCount else {
        throw RecordError("expected \(fieldCount) CSV fields, got \(fields.count)")
      }
      for (input, indices) in columns.enumerated() {
        for column in indices {
          let field = fields[column]
          if builders[input].input.element == .string {
            // Text is text, except with --missing NAME=VALUE: then an unquoted empty
            // field or NA (pandas and R write a missing string so) is missing; "" and "NA" stay.
            if !field.quoted, case .string = builders[input].input.missing,
              Self.missingSpelling(UnsafeRawBufferPointer(rebasing: record[field.range])) != nil
            {
              try builders[input].appendMissing("")
              continue
            }
            // The whole record was checked to be UTF-8 before decoding.
            try builders[input].appendString(
              String(decoding: CSVRecord.value(field, in: record), as: UTF8.self))
          } else if field.quoted {
            var failure: RecordError?
            CSVRecord.value(field, in: record).withUnsafeBytes { raw in
              do throws(RecordError) { try appendNumber(raw, column, &builders[input]) } catch {
                failure = error
              }
            }
            if let failure { throw failure }
          } else {
            try appendNumber(UnsafeRawBufferPointer(rebasing: record[field.range]), column, &builders[input])
          }
        }
      }
    } catch {
      for index in builders.indices { builders[index].rollbackRow() }
      throw error
    }
  }

  private func appendNumber(
    _ token: UnsafeRawBufferPointer, _ column: Int, _ builder: inout Column
  ) throws(RecordError) {
    if let spelling = Self.missingSpelling(token) {
      try builder.appendMissing(
        spelling.isEmpty ? "CSV field \(column + 1) is empty" : "CSV field \(column + 1) is '\(spelling)'")
      return
    }
    do throws(RecordError) { try builder.appendNumber(token) } catch {
      throw RecordError("CSV field \(column + 1): \(error.reason)")
    }
  }

  /// The field's text when it means a missing value where a number is due:
  /// empty, or one of `MissingValuePolicy.csvSpellings`; nil otherwise.
  static func missingSpelling(_ token: some Collection<UInt8>) -> String? {
    guard let first = token.first else { return "" }
    guard token.count <= 4, first == UInt8(ascii: "N") || first == UInt8(ascii: "n") else { return nil }
    return MissingValuePolicy.csvSpellings.first { token.elementsEqual($0.utf8) }
  }
}
