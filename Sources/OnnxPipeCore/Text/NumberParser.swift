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
    var result = Decimal()
    var index = 0
    let count = bytes.count
    guard count > 0 else { return nil }
    if bytes[0] == UInt8(ascii: "-") {
      result.negative = true
      index = 1
    } else if bytes[0] == UInt8(ascii: "+") {
      index = 1
    }
    var sawDigit = false
    func take(_ digit: UInt8, fraction: Bool) {
      if result.digits < 19 {
        if result.mantissa != 0 || digit != 0 { result.digits += 1 }
        result.mantissa = result.mantissa &* 10 &+ UInt64(digit)
        if fraction { result.exponent -= 1 }
      } else {
        result.truncated = true
        if !fraction { result.exponent += 1 }
      }
    }
    while index < count, bytes[index] &- UInt8(ascii: "0") < 10 {
      take(bytes[index] &- UInt8(ascii: "0"), fraction: false)
      sawDigit = true
      index += 1
    }
    if index < count, bytes[index] == UInt8(ascii: ".") {
      result.isInteger = false
      index += 1
      var fractionDigit = false
      while index < count, bytes[index] &- UInt8(ascii: "0") < 10 {
        take(bytes[index] &- UInt8(ascii: "0"), fraction: true)
        fractionDigit = true
        index += 1
      }
      guard fractionDigit || sawDigit else { return nil }
      sawDigit = sawDigit || fractionDigit
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
      var exponent = 0
      var exponentDigit = false
      while index < count, bytes[index] &- UInt8(ascii: "0") < 10 {
        if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[index] &- UInt8(ascii: "0")) }
        exponentDigit = true
        index += 1
      }
      guard exponentDigit else { return nil }
      result.exponent += negativeExponent ? -exponent : exponent
    }
    return index == count ? result : nil
  }

  private static let exactDoublePowers: [Double] = (0...22).map { power in
    var value = 1.0
    for _ in 0..<power { value *= 10 }
    return value
  }
  private static let exactFloatPowers: [Float] = (0...10).map { power in
    var value: Float = 1
    for _ in 0..<power { value *= 10 }
    return value
  }

  /// `bytes` as the nearest Double, or nil when it is not a number.
  public static func double(_ bytes: UnsafeRawBufferPointer) -> Double? {
    guard let decimal = scan(bytes) else { return nil }
    if !decimal.truncated, decimal.mantissa < 1 << 53, abs(decimal.exponent) <= 22 {
      var value = Double(decimal.mantissa)
      if decimal.exponent < 0 {
        value /= exactDoublePowers[-decimal.exponent]
      } else {
        value *= exactDoublePowers[decimal.exponent]
      }
      return decimal.negative ? -value : value
    }
    return withCString(bytes) { strtod($0, nil) }
  }

  /// `bytes` as the nearest Float (rounded once, not via Double), or nil when it is not a number.
  public static func float(_ bytes: UnsafeRawBufferPointer) -> Float? {
    guard let decimal = scan(bytes) else { return nil }
    if !decimal.truncated, decimal.mantissa < 1 << 24, abs(decimal.exponent) <= 10 {
      var value = Float(decimal.mantissa)
      if decimal.exponent < 0 {
        value /= exactFloatPowers[-decimal.exponent]
      } else {
        value *= exactFloatPowers[decimal.exponent]
      }
      return decimal.negative ? -value : value
    }
    return withCString(bytes) { strtof($0, nil) }
  }

  /// `bytes` as an integer, or nil when it is not a whole number in range.
  /// Accepts `3`, `-3`, `3.0` and `3e2`; refuses `3.5`.
  public static func int64(_ bytes: UnsafeRawBufferPointer) -> Int64? {
    guard let decimal = scan(bytes), !decimal.truncated else { return nil }
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
