/// The fast path of text input: plain decimal numbers (`-0.18905338644981384`,
/// `12`, `3.5`) read straight into float32s, and a flat JSON array or a CSV
/// record of them read in one loop.
///
/// It handles only what it can convert exactly on its own: an optional minus,
/// an integer part without leading zeros, an optional fraction, at most 19
/// digits in all (a leading `0.` aside), no exponent, a result in the normal
/// float32 range (or zero), and not within two Double ulps of a tie between
/// two floats. Anything else returns nil, and the caller reads the same bytes
/// again through `NumberParser` and `JSONScanner`, which handle every form
/// and word every error: this path never decides what is wrong, only what is
/// common.
enum FastFloats {
  /// Reads the JSON array whose '[' is at `start` when it holds exactly
  /// `out.count` plain numbers; returns the index after its ']'.
  static func readArray(
    _ bytes: UnsafeRawBufferPointer, at start: Int, into out: UnsafeMutableBufferPointer<Float>
  )
    -> Int?
  {
    guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
    return powersOfTen.withUnsafeBufferPointer { powers -> Int? in
      let end = bytes.count
      var index = start + 1
      var count = 0
      while true {
        skipSpaces(base, &index, end)
        guard count < out.count, let value = number(base, &index, end, powers) else { return nil }
        out[count] = value
        count += 1
        skipSpaces(base, &index, end)
        guard index < end else { return nil }
        let separator = base[index]
        index += 1
        if separator == UInt8(ascii: ",") { continue }
        guard separator == UInt8(ascii: "]"), count == out.count else { return nil }
        return index
      }
    }
  }

  /// Reads a CSV record of exactly `out.count` plain numbers, unquoted and
  /// comma-separated, to its end; returns the record's length.
  static func readFields(_ record: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>)
    -> Int?
  {
    guard let base = record.baseAddress?.assumingMemoryBound(to: UInt8.self), !out.isEmpty else { return nil }
    return powersOfTen.withUnsafeBufferPointer { powers -> Int? in
      let end = record.count
      var index = 0
      for position in 0..<out.count {
        guard let value = number(base, &index, end, powers) else { return nil }
        out[position] = value
        if position + 1 == out.count { break }
        guard index < end, base[index] == UInt8(ascii: ",") else { return nil }
        index += 1
      }
      return index == end ? end : nil
    }
  }

  /// 10^0 ... 10^19, all exact in a Double. Callers take its buffer once per
  /// row: a `switch` over literals here made the compiler keep the constants
  /// in vector registers and shuffle all of them around every conversion.
  private static let powersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19,
  ]

  @inline(__always)
  private static func skipSpaces(_ base: UnsafePointer<UInt8>, _ index: inout Int, _ end: Int) {
    while index < end, base[index] == 0x20 || base[index] == 0x09 { index += 1 }
  }

  /// The plain number at `index`, moving `index` past it; nil (index unspecified) otherwise.
  @inline(__always)
  static func number(
    _ base: UnsafePointer<UInt8>, _ index: inout Int, _ end: Int, _ powers: UnsafeBufferPointer<Double>
  ) -> Float? {
    guard index < end else { return nil }
    let negative = base[index] == UInt8(ascii: "-")
    if negative { index += 1 }
    var mantissa: UInt64 = 0
    var digits = 0
    guard index < end else { return nil }
    let first = base[index] &- UInt8(ascii: "0")
    guard first < 10 else { return nil }
    index += 1
    if first != 0 {
      mantissa = UInt64(first)
      digits = 1
      while index < end {
        let digit = base[index] &- UInt8(ascii: "0")
        guard digit < 10 else { break }
        guard digits < 19 else { return nil }
        mantissa = mantissa &* 10 &+ UInt64(digit)
        digits += 1
        index += 1
      }
    } else if index < end, base[index] &- UInt8(ascii: "0") < 10 {
      return nil  // a leading zero: not JSON, and CSV's "007" is left to the general path
    }
    var fraction = 0
    if index < end, base[index] == UInt8(ascii: ".") {
      index += 1
      while digits <= 11, index + 8 <= end, let chunk = eightDigits(base + index) {
        mantissa = mantissa &* 100_000_000 &+ chunk
        digits += 8
        fraction += 8
        index += 8
      }
      // The integer part's loop again, counting `fraction` too: kept in line on purpose (one
      // shared helper measured 608.4 M -> 618.0 M instructions on 20k NDJSON rows).
      while index < end {
        let digit = base[index] &- UInt8(ascii: "0")
        guard digit < 10 else { break }
        guard digits < 19 else { return nil }
        mantissa = mantissa &* 10 &+ UInt64(digit)
        digits += 1
        fraction += 1
        index += 1
      }
      guard fraction > 0 else { return nil }
    }
    if index < end, base[index] | 0x20 == UInt8(ascii: "e") { return nil }
    guard let magnitude = float(mantissa, dividedBy: powers[fraction]) else { return nil }
    return negative ? -magnitude : magnitude
  }

  /// `mantissa` / `power` (an exact power of ten) as the nearest float32, when that can be settled here.
  @inline(__always)
  private static func float(_ mantissa: UInt64, dividedBy power: Double) -> Float? {
    if mantissa == 0 { return 0 }
    if mantissa < 1 << 24 && power <= 1e10 {
      // Both exact in Float: one rounding (Clinger).
      return Float(mantissa) / Float(power)
    }
    // A Double within about one ulp of the value (two roundings at most); rounding it to
    // Float is right unless it lies within two Double ulps of halfway between two Floats.
    let approximate = Double(mantissa) / power
    guard
      approximate >= Double(Float.leastNormalMagnitude) && approximate < Double(Float.greatestFiniteMagnitude)
    else { return nil }
    let dropped = Int64(approximate.bitPattern & 0x1FFF_FFFF)  // the bits rounding to Float drops
    guard abs(dropped - 0x1000_0000) > 2 else { return nil }
    return Float(approximate)
  }

  /// The eight bytes at `pointer` as a number when all are ASCII digits (SWAR).
  @inline(__always)
  private static func eightDigits(_ pointer: UnsafePointer<UInt8>) -> UInt64? {
    NumberParser.eightDigits(UInt64(littleEndian: UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self)))
  }
}
