/// The fast path of text input: plain decimal numbers (`-0.18905338644981384`,
/// `12`, `3.5`) read straight into float32s, and a flat JSON array or a CSV
/// record of them read in one loop.
///
/// It handles only what it can convert exactly on its own: an optional minus,
/// an integer part without leading zeros, an optional fraction, at most 19
/// significant digits and 22 after the point, no exponent, a result in the normal
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
      let wordLimit = end &- 32  // the word path needs 32 bytes from a number's start
      var index = start &+ 1
      var count = 0
      while true {
        guard count < out.count else { return nil }
        if index <= wordLimit, let value = wordNumber(base, &index, end, powers) {
          out[count] = value
        } else {
          // Spaces before the number (the word path declines them), or a number it leaves.
          skipSpaces(base, &index, end)
          if index <= wordLimit, let value = wordNumber(base, &index, end, powers) {
            out[count] = value
          } else {
            guard let value = bytewiseNumber(base, &index, end, powers) else { return nil }
            out[count] = value
          }
        }
        count &+= 1
        guard index < end else { return nil }
        var separator = base[index]
        if separator == 0x20 || separator == 0x09 {
          skipSpaces(base, &index, end)
          guard index < end else { return nil }
          separator = base[index]
        }
        index &+= 1
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
      let wordLimit = end &- 32  // the word path needs 32 bytes from a number's start
      let last = out.count &- 1
      var index = 0
      var position = 0
      while true {
        if index <= wordLimit, let value = wordNumber(base, &index, end, powers) {
          out[position] = value
        } else {
          guard let value = bytewiseNumber(base, &index, end, powers) else { return nil }
          out[position] = value
        }
        if position == last { break }
        guard index < end, base[index] == UInt8(ascii: ",") else { return nil }
        index &+= 1
        position &+= 1
      }
      return index == end ? end : nil
    }
  }

  /// 10^0 ... 10^22, all exact in a Double. Callers take its buffer once per
  /// row: a `switch` over literals here made the compiler keep the constants
  /// in vector registers and shuffle all of them around every conversion.
  static let powersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19, 1e20, 1e21, 1e22,
  ]

  @inline(__always)
  private static func skipSpaces(_ base: UnsafePointer<UInt8>, _ index: inout Int, _ end: Int) {
    while index < end, base[index] == 0x20 || base[index] == 0x09 { index += 1 }
  }

  /// The plain number at `index`, moving `index` past it; nil (index unspecified) otherwise.
  ///
  /// Eight bytes at a time where at least 32 bytes are left (`wordNumber`: no branch per digit or on
  /// the sign, whose misprediction cost more than the digits on random rows); byte by byte otherwise,
  /// and for whatever the word path leaves (`bytewiseNumber`, which decides those alone).
  /// The rows' readers call the two paths themselves, and leave the word path's last check (the
  /// byte after the number) to their separator test; this is the two composed, number by number.
  @inline(__always)
  static func number(
    _ base: UnsafePointer<UInt8>, _ index: inout Int, _ end: Int, _ powers: UnsafeBufferPointer<Double>
  ) -> Float? {
    var position = index
    if index + 32 <= end, let value = wordNumber(base, &position, end, powers),
      !continuesNumber(base[position])
    {
      index = position
      return value
    }
    return bytewiseNumber(base, &index, end, powers)
  }

  /// Whether a number's text goes on with `byte`: a digit (past the 19 the paths read) or an exponent.
  /// The byte loop declines such a number; a row's reader refuses it for want of a separator.
  @inline(__always)
  static func continuesNumber(_ byte: UInt8) -> Bool {
    byte &- UInt8(ascii: "0") < 10 || byte | 0x20 == UInt8(ascii: "e")
  }

  /// The common number — at most 7 integer digits, a fraction, at most 19 digits in all, no exponent —
  /// read eight bytes at a time; nil, with `index` unmoved, for anything else. Gives exactly what
  /// `bytewiseNumber` gives for what it accepts (the same mantissa, fraction length and end) unless
  /// the text goes on (`continuesNumber`: a 20th digit, an exponent), which it does not look at: the
  /// byte loop declines those, and a row's reader refuses them, finding no separator there.
  /// Needs 32 bytes from `index` on (it reads at most 17 past the integer part's end, 24 for a long fraction).
  @inline(__always)
  static func wordNumber(
    _ base: UnsafePointer<UInt8>, _ index: inout Int, _ end: Int, _ powers: UnsafeBufferPointer<Double>
  ) -> Float? {
    let negative = base[index] == UInt8(ascii: "-")
    let start = index &+ (negative ? 1 : 0)
    let head = load(base, start)
    let integerDigits = leadingDigits(head)
    // None, or eight and maybe more (left to the byte loop); a leading zero is JSON's "0" alone.
    guard UInt(bitPattern: integerDigits &- 1) < 7,
      integerDigits == 1 || UInt8(truncatingIfNeeded: head) != UInt8(ascii: "0")
    else { return nil }
    var position = start &+ integerDigits
    var mantissa: UInt64
    var fraction = 0
    if UInt8(truncatingIfNeeded: head &>> UInt64(8 &* integerDigits)) == UInt8(ascii: ".") {
      let tail = load(base, position &+ 1)
      let fractionDigits = leadingDigits(tail)
      guard fractionDigits > 0 else { return nil }
      if integerDigits &+ fractionDigits <= 8 {
        // The common case: integer and fraction digits joined into one word, converted at once.
        let integerBytes = head & ((1 &<< UInt64(8 &* integerDigits)) &- 1)
        mantissa = digitsValue(
          integerBytes | tail &<< UInt64(8 &* integerDigits), integerDigits &+ fractionDigits)
        fraction = fractionDigits
        position &+= 1 &+ fractionDigits
      } else {
        // A long fraction (a float32 printed with 17 digits): a word of its digits at a time.
        mantissa = digitsValue(head, integerDigits)
        var digits = mantissa == 0 ? 0 : integerDigits  // a leading 0 is not significant, as in the byte loop
        position &+= 1
        var count: Int
        repeat {
          guard position &+ 8 <= end else { return nil }
          let word = load(base, position)
          count = leadingDigits(word)
          mantissa = mantissa &* UInt64(powers[count]) &+ digitsValue(word, count)
          digits &+= count
          fraction &+= count
          position &+= count
        } while count == 8 && digits < 19
        guard digits <= 19, position < end else { return nil }
      }
    } else {
      mantissa = digitsValue(head, integerDigits)
    }
    guard let magnitude = float(mantissa, dividedBy: powers[fraction]) else { return nil }
    index = position
    return Float(bitPattern: magnitude.bitPattern | (negative ? 0x8000_0000 : 0))
  }

  /// The eight bytes at `position`, the first one lowest.
  @inline(__always)
  private static func load(_ base: UnsafePointer<UInt8>, _ position: Int) -> UInt64 {
    UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
  }

  /// How many of `word`'s bytes, from the first, are ASCII digits before the first that is not (0...8).
  ///
  /// A byte's flag is exact when no borrow or carry comes into it, which holds up to and including
  /// the first non-digit: digits neither borrow (they are >= '0') nor carry (<= '9' + 0x46 < 0x100).
  @inline(__always)
  static func leadingDigits(_ word: UInt64) -> Int {
    let flags = ((word &- 0x3030_3030_3030_3030) | (word &+ 0x4646_4646_4646_4646)) & 0x8080_8080_8080_8080
    return flags.trailingZeroBitCount &>> 3
  }

  /// The number the first `count` bytes of `word` spell (all ASCII digits; 0 for none). The digits
  /// are shifted to the word's top, below zeros, and combined in three multiplies (SWAR).
  @inline(__always)
  static func digitsValue(_ word: UInt64, _ count: Int) -> UInt64 {
    // Smart shift: by 64 (no digits) gives 0. Bytes past `count` may hold borrows; they go out.
    var value = (word &- 0x3030_3030_3030_3030) << UInt64(64 &- 8 &* count)
    value = (value &* 2561) >> 8
    value = ((value & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
    return ((value & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
  }

  /// `number`'s byte loop, for the end of a row and for every form `wordNumber` leaves.
  @inline(__always)
  static func bytewiseNumber(
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
      if mantissa == 0 {
        // "0.000235...": zeros before the first significant digit are not among the 19.
        while index < end, base[index] == UInt8(ascii: "0") {
          fraction += 1
          index += 1
        }
      }
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
    guard fraction < powers.count, let magnitude = float(mantissa, dividedBy: powers[fraction]) else {
      return nil
    }
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
