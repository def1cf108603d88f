#if canImport(Glibc)
  import Glibc
#endif

/// Parses decimal numbers from bytes (JSON and CSV fields) without Foundation.
///
/// The common case — at most 19 significant digits and a small exponent — is
/// computed exactly (Clinger's fast path: an exact integer times or divided by
/// an exact power of ten rounds correctly once). Anything else falls back to
/// `strtod`/`strtof` on a NUL-terminated copy, so every result is correctly
/// rounded for its type.
public enum NumberParser {
  /// A number's decimal digits and exponent, as scanned.
  struct Decimal {
    var negative = false
    var mantissa: UInt64 = 0
    var digits = 0  // significant digits in mantissa
    var exponent = 0  // value = mantissa * 10^exponent
    var truncated = false  // more than 19 significant digits
    var isInteger = true  // no fraction or exponent part
  }

  /// Scans `bytes` as a JSON-style number (also accepts a leading '+' and
  /// leading zeros, as CSV writers produce). Nil when not a number or not all
  /// of `bytes` is used. NaN and Infinity are not numbers here.
  static func scan(_ bytes: UnsafeRawBufferPointer) -> Decimal? {
    guard let (decimal, length) = scanPrefix(bytes), length == bytes.count else { return nil }
    return decimal
  }

  /// Scans the number at the start of `bytes`; returns it and its length in bytes,
  /// or nil when `bytes` does not start with a number. What follows is the caller's.
  static func scanPrefix(_ bytes: UnsafeRawBufferPointer) -> (Decimal, Int)? {
    var result = Decimal()
    var index = 0
    let count = bytes.count
    guard count > 0 else { return nil }
    let zero = UInt8(ascii: "0")
    if bytes[0] == UInt8(ascii: "-") {
      result.negative = true
      index = 1
    } else if bytes[0] == UInt8(ascii: "+") {
      index = 1
    }
    var mantissa: UInt64 = 0
    var significant = 0
    var exponent = 0
    var truncated = false
    let integerStart = index
    while significant <= 11, let chunk = eightDigits(bytes, index) {
      (mantissa, significant) = appendEight(chunk, to: mantissa, significant)
      index += 8
    }
    while index < count {
      let digit = bytes[index] &- zero
      guard digit < 10 else { break }
      if significant < 19 {
        mantissa = mantissa &* 10 &+ UInt64(digit)
        if mantissa != 0 { significant += 1 }
      } else {
        truncated = true
        exponent += 1
      }
      index += 1
    }
    var sawDigit = index > integerStart
    if index < count, bytes[index] == UInt8(ascii: ".") {
      result.isInteger = false
      index += 1
      let fractionStart = index
      // The same two loops as the integer part's, but for the exponent: kept in line on
      // purpose (one shared helper cost 5 % more instructions on NDJSON input).
      while significant <= 11, let chunk = eightDigits(bytes, index) {
        (mantissa, significant) = appendEight(chunk, to: mantissa, significant)
        exponent -= 8
        index += 8
      }
      while index < count {
        let digit = bytes[index] &- zero
        guard digit < 10 else { break }
        if significant < 19 {
          mantissa = mantissa &* 10 &+ UInt64(digit)
          if mantissa != 0 { significant += 1 }
          exponent -= 1
        } else {
          truncated = true
        }
        index += 1
      }
      sawDigit = sawDigit || index > fractionStart
    }
    guard sawDigit else { return nil }
    if index < count, bytes[index] | 0x20 == UInt8(ascii: "e") {
      result.isInteger = false
      index += 1
      var negativeExponent = false
      if index < count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
        negativeExponent = bytes[index] == UInt8(ascii: "-")
        index += 1
      }
      var written = 0
      let exponentStart = index
      while index < count {
        let digit = bytes[index] &- zero
        guard digit < 10 else { break }
        if written < 100_000 { written = written * 10 + Int(digit) }
        index += 1
      }
      guard index > exponentStart else { return nil }
      exponent += negativeExponent ? -written : written
    }
    result.mantissa = mantissa
    result.digits = significant
    result.exponent = exponent
    result.truncated = truncated
    return (result, index)
  }

  /// The eight digits at `index` as a number, or nil unless all eight bytes are
  /// ASCII digits (eight at once, SWAR: one load, a few multiplies).
  @inline(__always)
  private static func eightDigits(_ bytes: UnsafeRawBufferPointer, _ index: Int) -> UInt64? {
    guard index + 8 <= bytes.count else { return nil }
    return eightDigits(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)))
  }

  /// Eight bytes loaded little-endian (the first byte lowest) as the number
  /// they spell, or nil unless all are ASCII digits. Also `FastFloats`'s.
  @inline(__always)
  static func eightDigits(_ chunk: UInt64) -> UInt64? {
    let belowZero = chunk &- 0x3030_3030_3030_3030
    let aboveNine = chunk &+ 0x4646_4646_4646_4646
    guard (belowZero | aboveNine) & 0x8080_8080_8080_8080 == 0 else { return nil }
    // Swift's shifts bind tighter than multiplication: every product is parenthesised.
    var value = ((chunk & 0x0F0F_0F0F_0F0F_0F0F) &* 2561) >> 8
    value = ((value & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
    return (((value & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32) & 0xFFFF_FFFF
  }

  /// Appends eight digits (`chunk`, their value) to a mantissa, counting
  /// significant digits: leading zeros are not, when the mantissa is still 0.
  @inline(__always)
  private static func appendEight(_ chunk: UInt64, to mantissa: UInt64, _ significant: Int) -> (UInt64, Int) {
    let value = mantissa &* 100_000_000 &+ chunk
    if mantissa != 0 { return (value, significant + 8) }
    return (value, decimalDigits(chunk))
  }

  /// How many decimal digits `value` (below 10^8) has; 0 for 0. Three or four comparisons.
  @inline(__always)
  private static func decimalDigits(_ value: UInt64) -> Int {
    if value >= 10_000 {
      if value >= 1_000_000 { return value >= 10_000_000 ? 8 : 7 }
      return value >= 100_000 ? 6 : 5
    }
    if value >= 100 { return value >= 1000 ? 4 : 3 }
    return value >= 10 ? 2 : value > 0 ? 1 : 0
  }

  /// 10^`exponent` for 0...22, all exact in a Double. A switch over literals
  /// compiles to a constant table, without the lazy-initialisation check a
  /// global array costs on every call.
  @inline(__always)
  private static func exactPowerOfTen(_ exponent: Int) -> Double {
    switch exponent {
    case 0: 1e0
    case 1: 1e1
    case 2: 1e2
    case 3: 1e3
    case 4: 1e4
    case 5: 1e5
    case 6: 1e6
    case 7: 1e7
    case 8: 1e8
    case 9: 1e9
    case 10: 1e10
    case 11: 1e11
    case 12: 1e12
    case 13: 1e13
    case 14: 1e14
    case 15: 1e15
    case 16: 1e16
    case 17: 1e17
    case 18: 1e18
    case 19: 1e19
    case 20: 1e20
    case 21: 1e21
    case 22: 1e22
    default: preconditionFailure("10^\(exponent) is not exact in a Double")
    }
  }

  /// `value` times 10^`exponent` (|exponent| <= 22 for Double, 10 for Float) with one rounding.
  @inline(__always)
  private static func scale<F: BinaryFloatingPoint>(_ value: F, _ exponent: Int) -> F {
    let power = F(exactPowerOfTen(abs(exponent)))
    return exponent < 0 ? value / power : value * power
  }

  /// `bytes` as the nearest Double, or nil when it is not a number.
  public static func double(_ bytes: UnsafeRawBufferPointer) -> Double? {
    scan(bytes).map { double($0, text: bytes) }
  }

  /// A scanned decimal as the nearest Double; `text` is its source, for the slow path.
  static func double(_ decimal: Decimal, text bytes: UnsafeRawBufferPointer) -> Double {
    if !decimal.truncated, decimal.mantissa < 1 << 53, abs(decimal.exponent) <= 22 {
      let value = scale(Double(decimal.mantissa), decimal.exponent)
      return decimal.negative ? -value : value
    }
    return withCString(bytes) { strtod($0, nil) }
  }

  /// `bytes` as the nearest Float, or nil when it is not a number.
  ///
  /// Short decimals are exact in Float arithmetic (Clinger). Longer ones (a
  /// float32 printed with 17 digits, as JSON writers do) go through a Double
  /// that is within two Double ulps of the true value; rounding that to Float
  /// is then correct unless it lies within two ulps of a halfway point between
  /// two Floats, which only `strtof` can settle.
  public static func float(_ bytes: UnsafeRawBufferPointer) -> Float? {
    scan(bytes).map { float($0, text: bytes) }
  }

  /// A scanned decimal as the nearest Float; `text` is its source, for the slow path.
  static func float(_ decimal: Decimal, text bytes: UnsafeRawBufferPointer) -> Float {
    if !decimal.truncated, decimal.mantissa < 1 << 24, abs(decimal.exponent) <= 10 {
      let value = scale(Float(decimal.mantissa), decimal.exponent)
      return decimal.negative ? -value : value
    }
    if !decimal.truncated, abs(decimal.exponent) <= 22 {
      let approximate = scale(Double(decimal.mantissa), decimal.exponent)
      let magnitude = abs(approximate)
      if magnitude >= Double(Float.leastNormalMagnitude) && magnitude < Double(Float.greatestFiniteMagnitude)
      {
        // The 29 low mantissa bits are what rounding to Float drops; 0x1000_0000 is a tie.
        let dropped = Int64(approximate.bitPattern & 0x1FFF_FFFF)
        if abs(dropped - 0x1000_0000) > 2 {
          let value = Float(approximate)
          return decimal.negative ? -value : value
        }
      } else if approximate == 0 {
        return decimal.negative ? -0.0 : 0
      }
    }
    return withCString(bytes) { strtof($0, nil) }
  }

  /// `bytes` as an integer, or nil when it is not a whole number in range.
  /// Accepts `3`, `-3`, `3.0` and `3e2`; refuses `3.5`.
  public static func int64(_ bytes: UnsafeRawBufferPointer) -> Int64? {
    scan(bytes).flatMap(int64)
  }

  /// A scanned decimal as an integer, or nil when it is not whole or out of range.
  static func int64(_ decimal: Decimal) -> Int64? {
    guard !decimal.truncated else { return nil }
    var magnitude = decimal.mantissa
    var exponent = decimal.exponent
    while exponent < 0 {
      guard magnitude % 10 == 0 else { return nil }
      magnitude /= 10
      exponent += 1
    }
    while exponent > 0 {
      let (next, overflow) = magnitude.multipliedReportingOverflow(by: 10)
      guard !overflow else { return nil }
      magnitude = next
      exponent -= 1
    }
    if decimal.negative {
      guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
      return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
    }
    guard magnitude <= UInt64(Int64.max) else { return nil }
    return Int64(magnitude)
  }

  private static func withCString<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafePointer<CChar>) -> R)
    -> R
  {
    var copy = [CChar](repeating: 0, count: bytes.count + 1)
    for index in 0..<bytes.count { copy[index] = CChar(bitPattern: bytes[index]) }
    return copy.withUnsafeBufferPointer { body($0.baseAddress!) }
  }
}
