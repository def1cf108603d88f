import Testing

@testable import OnnxPipeCore

#if canImport(Glibc)
  import Glibc
#endif

/// The fast path's answer for all of `text`, or nil when it leaves the text to the general path.
private func fastFloat(_ text: String) -> Float? {
  // The fields reader on a one-field record is the number reader on all of `text`.
  let bytes = Array(text.utf8)
  var value: Float = .nan
  let end = bytes.withUnsafeBytes { raw in
    withUnsafeMutablePointer(to: &value) {
      FastFloats.readFields(raw, into: UnsafeMutableBufferPointer(start: $0, count: 1))
    }
  }
  return end == nil ? nil : value
}

private func fastArray(_ text: String, count: Int) -> (values: [Float], end: Int)? {
  let bytes = Array(text.utf8)
  var values = [Float](repeating: .nan, count: count)
  let end = bytes.withUnsafeBytes { raw in
    values.withUnsafeMutableBufferPointer { FastFloats.readArray(raw, at: 0, into: $0) }
  }
  return end.map { (values, $0) }
}

@Suite struct FastFloatsTests {
  /// Whatever the fast path answers is what strtof answers, bit for bit; it only may decline.
  @Test func everyAnswerIsStrtofsAnswer() {
    var generator = SystemRandomNumberGenerator()
    var texts: [String] = []
    for _ in 0..<20_000 {
      let value = Float(Double.random(in: -4...4, using: &generator))
      texts.append(value.description)  // shortest
      texts.append(String(Double(value)))  // 17 digits, as Python prints a float32
      texts.append(String(Double.random(in: -1e6...1e6, using: &generator)))
      // Random digit strings of every length, around a point.
      let digits = (0..<Int.random(in: 1...24, using: &generator)).map { _ in
        String(Int.random(in: 0...9, using: &generator))
      }.joined()
      let point = Int.random(in: 0...digits.count, using: &generator)
      let text = digits.prefix(point) + (point < digits.count ? "." + digits.dropFirst(point) : "")
      texts.append(String(text.isEmpty || text.hasPrefix(".") ? "0" + text : text))
    }
    // Halfway between two floats, and a hair either side: only strtof settles these.
    for _ in 0..<2_000 {
      let value = Float.random(in: 0.001...1000, using: &generator)
      let halfway = (Double(value) + Double(value.nextUp)) / 2
      for nudge in [-1.0, 0, 1] {
        texts.append(String(halfway + nudge * halfway.ulp))
      }
    }
    var declined = 0
    for text in texts {
      guard let fast = fastFloat(text) else {
        declined += 1
        continue
      }
      let expected = strtof(text, nil)
      #expect(fast.bitPattern == expected.bitPattern, "\(text): \(fast) != strtof \(expected)")
    }
    #expect(declined < texts.count / 4, "the fast path declined \(declined) of \(texts.count)")
  }

  /// The rows Python and most JSON writers print take the fast path: it is not there for show.
  @Test func seventeenDigitFloat32TextTakesTheFastPath() {
    var generator = SystemRandomNumberGenerator()
    var declined = 0
    for _ in 0..<10_000 {
      let value = Float(Double.random(in: -3...3, using: &generator))
      if fastFloat(String(Double(value))) == nil { declined += 1 }
    }
    // Only below 1e-4 in magnitude, where Swift prints an exponent: about 1 in 30,000.
    #expect(declined < 10, "declined \(declined) of 10000")
  }

  @Test(arguments: [
    "", "-", "+1", "01", "-01.5", "1.", ".5", "1e5", "1E-3", "1.5e3", "0x10", "NaN", "Infinity", "1.2.3",
    "12345678901234567890", "0.12345678901234567890", "0.00012345678901234567890",
    "0.00000000000000000000001", "1e-50", "3.5e38", "1.0e-40", "16777217",
  ])
  func formsLeftToTheGeneralPath(text: String) {
    #expect(fastFloat(text) == nil, "\(text)")
  }

  @Test(arguments: [
    "0", "-0", "7", "-12.25", "0.5", "3.14159274", "16777216", "0.30000001192092896", "0.000",
    // Zeros after "0." are not significant digits: 17 of them follow here, and 1e-22 is exact.
    "-0.00023518501257058233", "0.000012345678901234567", "0.0000000000000000000001",
  ])
  func plainNumbersAreRead(text: String) throws {
    let value = try #require(fastFloat(text))
    #expect(value.bitPattern == strtof(text, nil).bitPattern)
  }

  @Test func arraysOfExactlyTheRowsLengthAreRead() throws {
    let read = try #require(fastArray("[1, -2.5,\t0.25 ] tail", count: 3))
    #expect(read.values == [1, -2.5, 0.25])
    #expect(read.end == 16, "just past the closing bracket")
    #expect(fastArray("[1,2]", count: 3) == nil, "too few")
    #expect(fastArray("[1,2,3,4]", count: 3) == nil, "too many")
    #expect(fastArray("[1,[2],3]", count: 3) == nil, "nested")
    #expect(fastArray("[1,2,3", count: 3) == nil, "unterminated")
    #expect(fastArray("[1,2,,3]", count: 3) == nil, "empty element")
    #expect(fastArray("[1,\"2\",3]", count: 3) == nil, "string")
    #expect(fastArray("[]", count: 0) == nil, "empty: the general path")
  }
}
