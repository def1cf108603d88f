/// Collects one input's values for a batch, row by row, already in the
/// tensor's little-endian byte layout (or as strings), so the engine can run
/// on it directly.
struct Column {
  let input: InputRow
  /// Little-endian element bytes, for every fixed-width type but float32.
  private var byteStorage: [UInt8] = []
  /// float32 elements, kept typed: the common case, appended without byte shuffling.
  private var floats: [Float] = []
  private(set) var strings: [String] = []
  /// Elements appended so far (all rows, including a row in progress).
  private(set) var count = 0
  /// `count` when the row in progress began (`beginRow`).
  private var rowStart = 0

  init(_ input: InputRow, rowCapacity: Int) {
    self.input = input
    if input.element == .float32 {
      floats.reserveCapacity(rowCapacity * input.rowElements)
    } else if let width = input.element.byteWidth {
      byteStorage.reserveCapacity(rowCapacity * input.rowElements * width)
    }
  }

  /// The values as the tensor's little-endian bytes.
  var bytes: [UInt8] {
    input.element == .float32 ? floats.withUnsafeBytes { Array($0) } : byteStorage
  }

  /// Calls `body` with the values as the tensor's bytes, without copying.
  func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    if input.element == .float32 { return try floats.withUnsafeBytes(body) }
    return try byteStorage.withUnsafeBytes(body)
  }

  /// Marks the start of a row, so a rejected row can be taken back.
  mutating func beginRow() { rowStart = count }

  /// Drops the values of the row in progress (a rejected record).
  mutating func rollbackRow() { truncate(to: rowStart) }

  /// Drops elements past `elementCount` (a rejected row's partial values).
  mutating func truncate(to elementCount: Int) {
    guard elementCount < count else { return }
    if input.element == .float32 {
      floats.removeLast(count - elementCount)
    } else if let width = input.element.byteWidth {
      byteStorage.removeLast((count - elementCount) * width)
    } else {
      strings.removeLast(count - elementCount)
    }
    count = elementCount
  }

  /// Appends a number token, converted to the input's element type.
  mutating func appendNumber(_ token: UnsafeRawBufferPointer) throws(RecordError) {
    if let decimal = NumberParser.scan(token) {
      try appendNumber(decimal, text: token)
      return
    }
    switch input.element {
    case .float32, .float64, .bool, .string: break
    default: throw RecordError("input '\(input.name)': expected a whole number, got '\(text(token))'")
    }
    try appendNumber(NumberParser.Decimal(), text: token, valid: false)
  }

  /// Appends an already scanned number; `text` is its source (messages, slow paths).
  mutating func appendNumber(
    _ decimal: NumberParser.Decimal, text token: UnsafeRawBufferPointer, valid: Bool = true
  ) throws(RecordError) {
    switch input.element {
    case .float32:
      guard valid else { throw notANumber(token) }
      try appendFloat32(decimal, text: token)
    case .float64:
      guard valid else { throw notANumber(token) }
      let value = NumberParser.double(decimal, text: token)
      guard value.isFinite else { throw notANumber(token) }
      append(value.bitPattern)
    case .bool:
      if token.elementsEqual("true".utf8) || token.elementsEqual("1".utf8) {
        append(UInt8(1))
      } else if token.elementsEqual("false".utf8) || token.elementsEqual("0".utf8) {
        append(UInt8(0))
      } else {
        throw RecordError("input '\(input.name)': expected true or false, got '\(text(token))'")
      }
    case .string:
      throw RecordError("input '\(input.name)': expected a string, got '\(text(token))'")
    default:
      guard valid, let value = NumberParser.int64(decimal) else {
        throw RecordError("input '\(input.name)': expected a whole number, got '\(text(token))'")
      }
      try appendInteger(value)
    }
  }

  /// Reads a flat JSON array of exactly one row of plain numbers at the
  /// scanner (the common NDJSON row) in one pass; false, with nothing read or
  /// appended, when the row needs the general path (`FastFloats`).
  mutating func appendPlainFloatArray(_ scanner: inout JSONScanner) -> Bool {
    guard let end = appendPlainFloats({ FastFloats.readArray(scanner.bytes, at: scanner.index, into: $0) })
    else { return false }
    scanner.index = end
    return true
  }

  /// Reads the flat JSON array of one row of plain numbers whose '[' is at `start` in `bytes`;
  /// returns the index after its ']', or nil with nothing appended.
  mutating func appendPlainFloatArray(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Int? {
    appendPlainFloats { FastFloats.readArray(bytes, at: start, into: $0) }
  }

  /// Reads a CSV record of exactly one row of plain numbers, unquoted, as
  /// the row; false, with nothing appended, when it needs the general path.
  mutating func appendPlainFloatFields(_ record: UnsafeRawBufferPointer) -> Bool {
    appendPlainFloats { FastFloats.readFields(record, into: $0) } != nil
  }

  /// Appends the row `read` fills in (all `rowElements` values) when it
  /// returns non-nil; nothing otherwise.
  private mutating func appendPlainFloats(_ read: (UnsafeMutableBufferPointer<Float>) -> Int?) -> Int? {
    let width = input.rowElements
    let end = withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { row -> Int? in
      guard let end = read(row) else { return nil }
      floats.append(contentsOf: row)
      return end
    }
    if end != nil { count += width }
    return end
  }

  /// Appends a float32 element from a scanned number (the hot path of text input).
  @inline(__always)
  mutating func appendFloat32(_ decimal: NumberParser.Decimal, text token: UnsafeRawBufferPointer)
    throws(RecordError)
  {
    let value = NumberParser.float(decimal, text: token)
    guard value.isFinite else { throw notANumber(token) }
    floats.append(value)
    count += 1
  }

  /// Appends a zero of the input's type (an empty string for strings).
  mutating func appendZero() {
    if input.element == .float32 {
      floats.append(0)
      count += 1
    } else if let width = input.element.byteWidth {
      byteStorage.append(contentsOf: repeatElement(0, count: width))
      count += 1
    } else {
      strings.append("")
      count += 1
    }
  }

  /// Appends what a missing value becomes in this input (NaN, or the
  /// `--missing NAME=VALUE` value), or throws why it is refused; `what`
  /// says what was found (`null`, `CSV field 3 is empty`).
  mutating func appendMissing(_ what: @autoclosure () -> String) throws(RecordError) {
    switch input.missing {
    case .refuse:
      throw RecordError(input.missingRefusal(what()))
    case .string(let value):
      try appendString(value)
    case .element(let bytes):
      if input.element == .float32 {
        floats.append(Float(bitPattern: bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }))
      } else {
        byteStorage.append(contentsOf: bytes)
      }
      count += 1
    }
  }

  /// Appends a boolean literal (JSON true/false).
  mutating func appendBool(_ value: Bool, token: UnsafeRawBufferPointer) throws(RecordError) {
    guard input.element == .bool else { throw notANumber(token) }
    append(UInt8(value ? 1 : 0))
  }

  /// Appends a string element.
  mutating func appendString(_ value: String) throws(RecordError) {
    guard input.element == .string else {
      throw RecordError("input '\(input.name)': expected a number, got a string")
    }
    strings.append(value)
    count += 1
  }

  private mutating func appendInteger(_ value: Int64) throws(RecordError) {
    func outOfRange() -> RecordError {
      RecordError("input '\(input.name)': \(value) is out of range for \(input.element.rawValue)")
    }
    switch input.element {
    case .int64: append(UInt64(bitPattern: value))
    case .int32:
      guard let narrow = Int32(exactly: value) else { throw outOfRange() }
      append(UInt32(bitPattern: narrow))
    case .int16:
      guard let narrow = Int16(exactly: value) else { throw outOfRange() }
      append(UInt16(bitPattern: narrow))
    case .int8:
      guard let narrow = Int8(exactly: value) else { throw outOfRange() }
      append(UInt8(bitPattern: narrow))
    case .uint8:
      guard let narrow = UInt8(exactly: value) else { throw outOfRange() }
      append(narrow)
    case .uint16:
      guard let narrow = UInt16(exactly: value) else { throw outOfRange() }
      append(narrow)
    case .uint32:
      guard let narrow = UInt32(exactly: value) else { throw outOfRange() }
      append(narrow)
    case .uint64:
      guard let narrow = UInt64(exactly: value) else { throw outOfRange() }
      append(narrow)
    default:
      throw RecordError("input '\(input.name)': \(input.element.rawValue) is not supported in text input")
    }
  }

  private mutating func append<T: FixedWidthInteger>(_ value: T) {
    // Byte by byte: cheaper than a generic append(contentsOf:) for 1-8 bytes.
    var remaining = value
    for _ in 0..<MemoryLayout<T>.size {
      byteStorage.append(UInt8(truncatingIfNeeded: remaining))
      remaining = remaining >> 8
    }
    count += 1
  }

  private func notANumber(_ token: UnsafeRawBufferPointer) -> RecordError {
    RecordError("input '\(input.name)': expected a number, got '\(text(token))'")
  }
}

/// A token as text for messages, shortened to 40 bytes.
func text(_ token: UnsafeRawBufferPointer) -> String {
  let shown = String(decoding: token.prefix(40), as: UTF8.self)
  return token.count > 40 ? shown + "..." : shown
}
