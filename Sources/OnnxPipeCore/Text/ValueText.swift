/// Prints tensor elements as text: numbers as the shortest text that reads
/// back to the same value of their type, strings JSON-escaped or CSV-quoted.
enum ValueText {
  /// Appends element `index` of a fixed-width tensor's bytes as a JSON value.
  /// Non-finite floats become `null` (JSON has no NaN or Infinity).
  static func appendNumber(
    _ element: ElementType, _ bytes: UnsafeRawBufferPointer, _ index: Int, to out: inout [UInt8]
  ) {
    switch element {
    case .float32: appendFloat(Double(Float(bitPattern: load(bytes, index, UInt32.self))), single: true, &out)
    case .float64: appendFloat(Double(bitPattern: load(bytes, index, UInt64.self)), single: false, &out)
    case .float16: appendFloat(Double(halfToFloat(load(bytes, index, UInt16.self))), single: true, &out)
    case .bfloat16:
      appendFloat(
        Double(Float(bitPattern: UInt32(load(bytes, index, UInt16.self)) << 16)), single: true, &out)
    case .int8: appendInteger(Int64(Int8(bitPattern: load(bytes, index, UInt8.self))), &out)
    case .int16: appendInteger(Int64(Int16(bitPattern: load(bytes, index, UInt16.self))), &out)
    case .int32: appendInteger(Int64(Int32(bitPattern: load(bytes, index, UInt32.self))), &out)
    case .int64: appendInteger(Int64(bitPattern: load(bytes, index, UInt64.self)), &out)
    case .uint8: appendInteger(Int64(load(bytes, index, UInt8.self)), &out)
    case .uint16: appendInteger(Int64(load(bytes, index, UInt16.self)), &out)
    case .uint32: appendInteger(Int64(load(bytes, index, UInt32.self)), &out)
    case .uint64: out.append(contentsOf: String(load(bytes, index, UInt64.self)).utf8)
    case .bool: out.append(contentsOf: (load(bytes, index, UInt8.self) != 0 ? "true" : "false").utf8)
    case .string: preconditionFailure("string elements are not fixed-width")
    }
  }

  /// A float as its shortest round-trip text (Float's for float32 values).
  static func appendFloat(_ value: Double, single: Bool, _ out: inout [UInt8]) {
    guard value.isFinite else {
      out.append(contentsOf: "null".utf8)
      return
    }
    // The standard library's shortest round-trip digits, as `description`
    // prints them, but handed over as bytes (`_writeASCII`) without a String.
    var stream = ByteStream()
    swap(&stream.bytes, &out)
    if single { Float(value).write(to: &stream) } else { value.write(to: &stream) }
    swap(&stream.bytes, &out)
  }

  /// Appends what a value writes of itself to a byte array.
  private struct ByteStream: TextOutputStream {
    var bytes: [UInt8] = []
    mutating func write(_ string: String) { bytes.append(contentsOf: string.utf8) }
    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: buffer) }
  }

  static func appendInteger(_ value: Int64, _ out: inout [UInt8]) {
    if value >= 0 && value < 10 {
      out.append(UInt8(ascii: "0") + UInt8(value))
      return
    }
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
      var magnitude = value.magnitude
      var start = 20
      repeat {
        start -= 1
        digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
        magnitude /= 10
      } while magnitude != 0
      if value < 0 { out.append(UInt8(ascii: "-")) }
      out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
    }
  }

  /// Appends `text` as a JSON string literal.
  static func appendJSONString(_ text: some Collection<UInt8>, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    if text.withContiguousStorageIfAvailable({ appendEscaped($0, to: &out) }) == nil {
      Array(text).withUnsafeBufferPointer { appendEscaped($0, to: &out) }
    }
    out.append(UInt8(ascii: "\""))
  }

  /// The string's bytes, escaped: runs that need no escape are copied whole, and found eight
  /// bytes at a time (`needsEscape`).
  private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    var start = 0
    var index = 0
    while index < bytes.count {
      if index + 8 <= bytes.count,
        !needsEscape(UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self))
      {
        index += 8
        continue
      }
      let byte = bytes[index]
      index += 1
      guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
      let at = index - 1
      out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<at]))
      start = index
      switch byte {
      case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
      case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
      case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
      case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
      case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
      default:
        let hex = Array("0123456789abcdef".utf8)
        out.append(contentsOf: [
          0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)],
        ])
      }
    }
    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
  }

  /// Whether any of the eight bytes of `word` needs an escape in a JSON string: a control
  /// byte (under 0x20), a quote or a backslash. Each test is exact for whether some byte
  /// matches (which one is left to the byte loop): `x - 0x0101...01 * n` borrows into the high
  /// bit of the lowest byte under n, and `& ~x` masks off bytes whose high bit was set.
  @inline(__always)
  static func needsEscape(_ word: UInt64) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let quotes = word ^ (ones &* 0x22)
    let backslashes = word ^ (ones &* 0x5C)
    let control = (word &- ones &* 0x20) & ~word
    let quote = (quotes &- ones) & ~quotes
    let backslash = (backslashes &- ones) & ~backslashes
    return (control | quote | backslash) & highs != 0
  }

  private static func load<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, _ index: Int, _: T.Type)
    -> T
  {
    T(littleEndian: bytes.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
  }

  /// IEEE 754 half precision bits to Float.
  static func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits >> 15) << 31
    let exponent = Int((bits >> 10) & 0x1F)
    let mantissa = UInt32(bits & 0x3FF)
    switch exponent {
    case 0:
      let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
      return sign != 0 ? -magnitude : magnitude
    case 31:
      return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
    default:
      return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
    }
  }
}
