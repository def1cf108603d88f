import Testing

@testable import OnnxPipeCore

#if canImport(Glibc)
  import Glibc
#endif

/// Reads the number at the start of `text` followed by `context` and padding (so that the word path
/// has its 32 bytes), through `read`; returns its bits and where it ended, or nil.
private func readNumber(
  _ text: String, then context: String,
  _ read: (UnsafePointer<UInt8>, inout Int, Int, UnsafeBufferPointer<Double>) -> Float?
) -> (bits: UInt32, end: Int)? {
  let bytes = Array((text + context + String(repeating: ",0", count: 24)).utf8)
  return bytes.withUnsafeBufferPointer { buffer in
    FastFloats.powersOfTen.withUnsafeBufferPointer { powers in
      var index = 0
      guard let value = read(buffer.baseAddress!, &index, buffer.count, powers) else { return nil }
      return (value.bitPattern, index)
    }
  }
}

/// Texts of every shape the fast paths meet or must decline: random digit runs around a point,
/// signs, leading zeros, exponents, long mantissas, halfway cases, spellings of infinity and NaN.
private func adversarialTexts() -> [String] {
  var generator = SystemRandomNumberGenerator()
  var texts = [
    "0", "-0", "0.0", "-0.0", "0.000000", "1", "-1", "7.", ".5", "-.5", "-", "+1", "01", "00.5", "-01.5",
    "1e5", "1E5", "1.5e3", "1.5E-3", "-2.5e+2", "1.0e-40", "3.5e38", "1e-50", "0x10", "1.2.3", "1..2",
    "inf", "-inf", "Infinity", "-Infinity", "NaN", "nan", "+nan", "1234567", "12345678", "123456789",
    "1234567.1", "1234567.12", "0.12345678", "0.123456789", "12345678.5", "16777216", "16777217",
    "0.30000001192092896", "-0.18905338644981384", "12345678901234567890", "0.12345678901234567890",
    "1234567890123456789", "0.1234567890123456789", "9999999.9999999999999", "0.0000000000000000001",
    "0.00000000000000000001", "1.17549435e-38", "1.1754942e-38", "1.4e-45", "3.4028235e38",
    "340282350000000000000000000000000000000", "0.000001", "-0.000001", "9.999999", "99999999",
  ]
  for _ in 0..<20_000 {
    let value = Float(Double.random(in: -4...4, using: &generator))
    texts.append(value.description)
    texts.append(String(Double(value)))
    texts.append(String(format6: Double(value)))
    texts.append(String(Double.random(in: -1e7...1e7, using: &generator)))
    let digits = (0..<Int.random(in: 1...24, using: &generator)).map { _ in
      String(Int.random(in: 0...9, using: &generator))
    }.joined()
    let point = Int.random(in: 0...digits.count, using: &generator)
    let sign = Bool.random(using: &generator) ? "-" : ""
    texts.append(sign + digits.prefix(point) + (point < digits.count ? "." + digits.dropFirst(point) : ""))
  }
  for _ in 0..<2_000 {
    let value = Float.random(in: 0.001...1000, using: &generator)
    let halfway = (Double(value) + Double(value.nextUp)) / 2
    for nudge in [-1.0, 0, 1] { texts.append(String(halfway + nudge * halfway.ulp)) }
  }
  return texts
}

extension String {
  /// `value` with six digits after the point, as `%.6f` prints it.
  fileprivate init(format6 value: Double) {
    let scaled = (abs(value) * 1e6).rounded()
    let whole = Int(scaled / 1e6)
    let fraction = Int(scaled) - whole * 1_000_000
    let digits = String(fraction)
    self = (value < 0 ? "-" : "") + "\(whole)." + String(repeating: "0", count: 6 - digits.count) + digits
  }
}

@Suite struct FastFloatsWordTests {
  /// The word path answers exactly what the byte loop answers (value and end), whatever follows.
  @Test func wordPathAgreesWithTheByteLoop() {
    var words = 0
    for text in adversarialTexts() {
      for context in [",", "]", " ", "}", "e5", "E-3", "5", ".", "x", "\""] {
        let bytewise = readNumber(text, then: context, FastFloats.bytewiseNumber)
        let number = readNumber(text, then: context, FastFloats.number)
        #expect(number?.bits == bytewise?.bits && number?.end == bytewise?.end, "\(text)\(context)")
        if let word = readNumber(text, then: context, FastFloats.wordNumber) {
          words += 1
          // Where the text goes on past what the word path read, the byte loop must decline it.
          let next = Array((text + context).utf8 + [0]).dropFirst(word.end).first!
          if FastFloats.continuesNumber(next) {
            #expect(bytewise == nil, "word path stopped inside a number: \(text)\(context)")
          } else {
            #expect(word.bits == bytewise?.bits && word.end == bytewise?.end, "word path: \(text)\(context)")
          }
        }
      }
    }
    #expect(words > 200_000, "the word path took only \(words) numbers")
  }

  /// What the word path answers is strtof's answer for the bytes it read, bit for bit (a row's
  /// reader then refuses a number that stopped short of its separator, like `0x10` or `1.2.3`).
  @Test func wordPathAnswersAreStrtofs() {
    for text in adversarialTexts() {
      guard let word = readNumber(text, then: ",", FastFloats.wordNumber) else { continue }
      let read = String(text.utf8.prefix(word.end))!
      let expected = strtof(read, nil)
      #expect(
        word.bits == expected.bitPattern, "\(read): \(Float(bitPattern: word.bits)) != strtof \(expected)")
    }
  }

  /// The forms the bench and most writers print take the word path: it is not there for show.
  @Test(arguments: [
    "0.189053", "-0.522748", "-2.441467", "12", "-0", "0", "3.14159274", "1234567.5", "-0.18905338644981384",
    "0.30000001192092896", "9.999999",
  ])
  func commonFormsTakeTheWordPath(text: String) throws {
    let word = try #require(readNumber(text, then: ",", FastFloats.wordNumber))
    #expect(word.bits == strtof(text, nil).bitPattern)
    #expect(word.end == text.utf8.count)
  }

  @Test(arguments: [
    "12345678", "01", "-", ".5", "1.", "1e5", "1.5e3", "NaN", "inf", "0.12345678901234567890", "1.0e-40",
    "1.4e-45", "340282350000000000000000000000000000000",
  ])
  func unusualFormsAreLeftToTheByteLoop(text: String) {
    // Declined, or read only up to where the text goes on (which a row's reader then refuses).
    if let word = readNumber(text, then: ",", FastFloats.wordNumber) {
      #expect(FastFloats.continuesNumber(Array(text.utf8)[word.end]), "\(text)")
    }
    let number = readNumber(text, then: ",", FastFloats.number)
    let bytewise = readNumber(text, then: ",", FastFloats.bytewiseNumber)
    #expect(number?.bits == bytewise?.bits && number?.end == bytewise?.end, "\(text)")
  }

  /// A row with one number the fast paths leave (an exponent, a 20th digit, a leading zero...)
  /// anywhere in it is refused whole, and goes to the general path.
  @Test func rowsWithAnUnusualNumberAreRefused() {
    var generator = SystemRandomNumberGenerator()
    let unusual = [
      "1.5e3", "2E-3", "12345678901234567890", "0.12345678901234567890", "-0.189053387e1", "01.5", "1.",
      ".5", "NaN", "1..2", "-", "0x10", "1.0e-40",
    ]
    for text in unusual {
      for _ in 0..<20 {
        var texts = (0..<32).map { _ in String(Float(Double.random(in: -9...9, using: &generator))) }
        texts[Int.random(in: 0..<32, using: &generator)] = text
        let csv = Array(texts.joined(separator: ",").utf8)
        var fields = [Float](repeating: .nan, count: 32)
        let end = csv.withUnsafeBytes { raw in
          fields.withUnsafeMutableBufferPointer { FastFloats.readFields(raw, into: $0) }
        }
        #expect(end == nil, "CSV row with \(text)")
        let json = Array(("[" + texts.joined(separator: ",") + "]").utf8)
        var elements = [Float](repeating: .nan, count: 32)
        let jsonEnd = json.withUnsafeBytes { raw in
          elements.withUnsafeMutableBufferPointer { FastFloats.readArray(raw, at: 0, into: $0) }
        }
        #expect(jsonEnd == nil, "JSON row with \(text)")
      }
    }
  }

  /// Whole rows long enough for the word path: every value strtof's, and the same rows refused.
  @Test func longRowsReadAsStrtofReadsThem() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<2_000 {
      let texts = (0..<32).map { _ in
        var value = Float(Double.random(in: -100...100, using: &generator))
        // Below 1e-4 Swift prints an exponent, which the fast paths leave (a row with one is refused,
        // as the test above checks); about one row in sixteen drew one.
        while abs(value) < 1e-4 { value = Float(Double.random(in: -100...100, using: &generator)) }
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: return value.description
        case 1: return String(Double(value))
        default: return String(format6: Double(value))
        }
      }
      let csv = Array(texts.joined(separator: ",").utf8)
      var fields = [Float](repeating: .nan, count: 32)
      let end = csv.withUnsafeBytes { raw in
        fields.withUnsafeMutableBufferPointer { FastFloats.readFields(raw, into: $0) }
      }
      #expect(end == csv.count)
      let json = Array(("[" + texts.joined(separator: ", ") + "]").utf8)
      var elements = [Float](repeating: .nan, count: 32)
      let jsonEnd = json.withUnsafeBytes { raw in
        elements.withUnsafeMutableBufferPointer { FastFloats.readArray(raw, at: 0, into: $0) }
      }
      #expect(jsonEnd == json.count)
      for (index, text) in texts.enumerated() {
        let expected = strtof(text, nil).bitPattern
        #expect(fields[index].bitPattern == expected, "CSV field \(index): \(text)")
        #expect(elements[index].bitPattern == expected, "JSON element \(index): \(text)")
      }
    }
  }
}
