/// Why a record was rejected: the reason that goes into the error message and
/// the dead-letter file, without the line number (the caller adds it).
public struct RecordError: Error, Equatable, Sendable {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
}

/// A string token from JSON: a range of the input when it has no escapes,
/// otherwise its decoded bytes.
enum JSONString {
  case raw(Range<Int>)
  case decoded([UInt8])
}

/// A forward-only JSON scanner over one record's bytes, for the few shapes
/// NDJSON input needs: objects, arrays, strings, numbers and literals.
/// Bounds-checked: running off the end is a `RecordError`, never a crash;
/// nesting deeper than `maximumDepth` is refused.
struct JSONScanner {
  let bytes: UnsafeRawBufferPointer
  var index = 0
  static let maximumDepth = 256

  init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  var isAtEnd: Bool { index >= bytes.count }

  /// The next byte after whitespace, without consuming it; nil at the end.
  mutating func peek() -> UInt8? {
    skipWhitespace()
    return index < bytes.count ? bytes[index] : nil
  }

  mutating func skipWhitespace() {
    while index < bytes.count, Self.isWhitespace(bytes[index]) { index += 1 }
  }

  /// Whether `byte` is JSON whitespace: space, tab, line feed, carriage return.
  @inline(__always)
  static func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
  }

  /// Consumes `byte` after whitespace, or throws naming what was found.
  mutating func expect(_ byte: UInt8, _ what: String) throws(RecordError) {
    guard peek() == byte else { throw unexpected(what) }
    index += 1
  }

  func unexpected(_ what: String) -> RecordError {
    guard index < bytes.count else { return RecordError("invalid JSON: expected \(what), found end of line") }
    let found = bytes[index]
    let shown =
      found >= 0x20 && found < 0x7F
      ? "'\(Character(UnicodeScalar(found)))'" : "byte 0x\(String(found, radix: 16))"
    return RecordError("invalid JSON at column \(index + 1): expected \(what), found \(shown)")
  }

  /// Reads a string token; the opening quote must be next.
  mutating func readString() throws(RecordError) -> JSONString {
    try expect(UInt8(ascii: "\""), "a string")
    let start = index
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        index += 1
        return .raw(start..<index - 1)
      }
      if byte == UInt8(ascii: "\\") { return .decoded(try decodeEscaped(from: start)) }
      if byte < 0x20 {
        throw RecordError("invalid JSON at column \(index + 1): control character in a string")
      }
      index += 1
    }
    throw RecordError("invalid JSON: unterminated string")
  }

  /// Decodes a string with escapes, starting at its first byte.
  private mutating func decodeEscaped(from start: Int) throws(RecordError) -> [UInt8] {
    var out = Array(bytes[start..<index])
    while index < bytes.count {
      let byte = bytes[index]
      index += 1
      switch byte {
      case UInt8(ascii: "\""): return out
      case UInt8(ascii: "\\"):
        guard index < bytes.count else { break }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          var scalar = try readHex4()
          if scalar >= 0xD800 && scalar < 0xDC00 {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
              bytes[index + 1] == UInt8(ascii: "u")
            else { throw RecordError("invalid JSON: unpaired surrogate in \\u escape") }
            index += 2
            let low = try readHex4()
            guard low >= 0xDC00 && low < 0xE000 else { throw RecordError("invalid JSON: unpaired surrogate") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          } else if scalar >= 0xDC00 && scalar < 0xE000 {
            throw RecordError("invalid JSON: unpaired surrogate in \\u escape")
          }
          out.append(contentsOf: Array(String(Character(UnicodeScalar(scalar)!)).utf8))
        default:
          throw RecordError(
            "invalid JSON at column \(index - 1): unknown escape '\\\(Character(UnicodeScalar(escape)))'")
        }
      default:
        if byte < 0x20 { throw RecordError("invalid JSON at column \(index): control character in a string") }
        out.append(byte)
      }
    }
    throw RecordError("invalid JSON: unterminated string")
  }

  private mutating func readHex4() throws(RecordError) -> UInt32 {
    guard index + 4 <= bytes.count else { throw RecordError("invalid JSON: short \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[index]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw RecordError("invalid JSON: bad hex digit in \\u escape")
      }
      value = value << 4 | UInt32(digit)
      index += 1
    }
    return value
  }

  /// Reads a number that ends at a delimiter, in one pass; nil (cursor unmoved)
  /// when the next token is not exactly a number.
  mutating func readNumber() -> (NumberParser.Decimal, UnsafeRawBufferPointer)? {
    skipWhitespace()
    let rest = UnsafeRawBufferPointer(rebasing: bytes[index...])
    guard let (decimal, length) = NumberParser.scanPrefix(rest) else { return nil }
    if length < rest.count {
      switch rest[length] {
      case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x09, 0x0A, 0x0D: break
      default: return nil
      }
    }
    index += length
    return (decimal, UnsafeRawBufferPointer(rebasing: rest[0..<length]))
  }

  /// The bytes of a number or literal token (up to the next delimiter).
  mutating func readScalarToken() -> UnsafeRawBufferPointer {
    skipWhitespace()
    let start = index
    scanning: while index < bytes.count {
      switch bytes[index] {
      case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x09, 0x0A, 0x0D: break scanning
      default: index += 1
      }
    }
    return UnsafeRawBufferPointer(rebasing: bytes[start..<index])
  }

  /// Skips one value of any kind, checking its syntax.
  mutating func skipValue(depth: Int = 0) throws(RecordError) {
    guard depth < Self.maximumDepth else { throw RecordError("JSON nested deeper than \(Self.maximumDepth)") }
    switch peek() {
    case UInt8(ascii: "{"):
      index += 1
      if peek() == UInt8(ascii: "}") {
        index += 1
        return
      }
      while true {
        _ = try readString()
        try expect(UInt8(ascii: ":"), "':'")
        try skipValue(depth: depth + 1)
        guard try endOfMember(close: UInt8(ascii: "}"), "',' or '}'") else { return }
      }
    case UInt8(ascii: "["):
      index += 1
      if peek() == UInt8(ascii: "]") {
        index += 1
        return
      }
      while true {
        try skipValue(depth: depth + 1)
        guard try endOfMember(close: UInt8(ascii: "]"), "',' or ']'") else { return }
      }
    case UInt8(ascii: "\""):
      _ = try readString()
    case nil:
      throw unexpected("a value")
    default:
      let token = readScalarToken()
      guard Self.isLiteral(token) || NumberParser.scan(token) != nil else {
        index -= token.count
        throw unexpected("a value")
      }
    }
  }

  /// After a member: true if a ',' follows (more members), false if `close` ends the container.
  mutating func endOfMember(close: UInt8, _ what: String) throws(RecordError) -> Bool {
    switch peek() {
    case UInt8(ascii: ","):
      index += 1
      return true
    case close:
      index += 1
      return false
    default:
      throw unexpected(what)
    }
  }

  /// `true`, `false`, `null`, or `NaN`: not JSON, but what Python's json
  /// module writes for a missing float, so a record holding one is not refused.
  static func isLiteral(_ token: UnsafeRawBufferPointer) -> Bool {
    token.elementsEqual("true".utf8) || token.elementsEqual("false".utf8) || token.elementsEqual("null".utf8)
      || token.elementsEqual("NaN".utf8)
  }

  /// The bytes of a string token.
  func bytes(of string: JSONString) -> [UInt8] {
    switch string {
    case .raw(let range): Array(bytes[range])
    case .decoded(let decoded): decoded
    }
  }

  /// Whether a string token equals `key`.
  func string(_ string: JSONString, equals key: [UInt8]) -> Bool {
    switch string {
    case .raw(let range): range.count == key.count && bytes[range].elementsEqual(key)
    case .decoded(let decoded): decoded == key
    }
  }
}
