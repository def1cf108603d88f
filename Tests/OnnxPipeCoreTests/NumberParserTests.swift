import Testing

@testable import OnnxPipeCore

#if canImport(Glibc)
  import Glibc
#endif

func parseFloat(_ text: String) -> Float? {
  Array(text.utf8).withUnsafeBytes { NumberParser.float($0) }
}

func parseDouble(_ text: String) -> Double? {
  Array(text.utf8).withUnsafeBytes { NumberParser.double($0) }
}

func parseInt(_ text: String) -> Int64? {
  Array(text.utf8).withUnsafeBytes { NumberParser.int64($0) }
}

@Suite struct NumberParserTests {
  @Test(arguments: [
    "0", "-0", "1", "0.1", "3.14159274", "1e-7", "1E+10", "123456.79", "16777217", "0.000001", "1e-45",
    "3.4028235e38", "2.5e-3", "+7.25", "0012.5", "1.00000000000000000000001", "0.30000001192092896",
    "8388609.5", "1.17549435e-38", "340282356779733661637539395458142568447",
  ])
  func floatsMatchCorrectRounding(text: String) throws {
    let expected = try #require(Float(text.hasPrefix("+") ? String(text.dropFirst()) : text))
    #expect(parseFloat(text)?.bitPattern == expected.bitPattern, "\(text)")
  }

  @Test func randomFloatsRoundTripThroughTheirShortestText() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
      let value = Float(bitPattern: UInt32.random(in: 0...0x7F7F_FFFF, using: &generator))
      let signed = Bool.random(using: &generator) ? -value : value
      #expect(parseFloat(signed.description)?.bitPattern == signed.bitPattern, "\(signed)")
    }
  }

  @Test func randomFloatsAsSeventeenDigitDoublesRoundToTheRightFloat() {
    // What Python's json.dumps writes for a float32 value: the double's shortest text.
    for _ in 0..<20_000 {
      let value = Float(bitPattern: UInt32.random(in: 0...0x7F7F_FFFF))
      let text = Double(value).description
      #expect(parseFloat(text)?.bitPattern == value.bitPattern, "\(text)")
    }
  }

  @Test func decimalsNearFloatHalfwayPointsRoundLikeStrtof() {
    // Midpoints between neighbouring floats, nudged by less than a double ulp: double rounding traps.
    for _ in 0..<5_000 {
      let value = Float(bitPattern: UInt32.random(in: 0x0080_0000...0x7F7F_FFFE))
      let midpoint = (Double(value) + Double(value.nextUp)) / 2
      for candidate in [midpoint, midpoint.nextUp, midpoint.nextDown] {
        let text = candidate.description
        #expect(parseFloat(text)?.bitPattern == Float(text)?.bitPattern, "\(text)")
      }
    }
  }

  @Test func randomDoublesRoundTripThroughTheirShortestText() {
    for _ in 0..<20_000 {
      let value = Double(bitPattern: UInt64.random(in: 0...0x7FEF_FFFF_FFFF_FFFF))
      #expect(parseDouble(value.description)?.bitPattern == value.bitPattern, "\(value)")
    }
  }

  @Test(arguments: [
    "", "-", "+", ".", ".5e", "1e", "1e+", "NaN", "nan", "Infinity", "-Infinity", "0x10", "1,5", "1 ", " 1",
    "--1", "1.2.3", "e5",
  ])
  func nonNumbersAreRefused(text: String) {
    #expect(parseFloat(text) == nil, "\(text.debugDescription)")
    #expect(parseDouble(text) == nil, "\(text.debugDescription)")
  }

  @Test func bareLeadingAndTrailingDotsAreAcceptedAsStrtodDoes() {
    #expect(parseFloat(".5") == 0.5)
    #expect(parseFloat("1.") == 1)
    #expect(parseDouble("-.25e1") == -2.5)
  }

  @Test func integersAcceptWholeNumbersOnly() {
    #expect(parseInt("42") == 42)
    #expect(parseInt("-9223372036854775808") == Int64.min)
    #expect(parseInt("9223372036854775807") == Int64.max)
    #expect(parseInt("9223372036854775808") == nil)
    #expect(parseInt("3.0") == 3)
    #expect(parseInt("3e2") == 300)
    #expect(parseInt("3.5") == nil)
    #expect(parseInt("1e30") == nil)
  }
}

@Suite struct NumberFastPathTests {
  /// Every power of ten the exact fast path uses, and numbers that lead with
  /// zeros of every length, agree with strtod/strtof.
  @Test func exactPowersAndLeadingZerosMatchTheCLibrary() {
    var texts: [String] = []
    for exponent in 0...22 {
      texts += ["1e\(exponent)", "7e-\(exponent)", "123456789e\(exponent)", "-3.25e-\(exponent)"]
    }
    for zeros in 0...9 {
      let digits = String(repeating: "0", count: zeros) + "12345678901234"
      texts += ["0.\(digits)", "\(digits).5", "-0.\(digits)e3"]
    }
    for text in texts {
      let double = Array(text.utf8).withUnsafeBytes { NumberParser.double($0) }
      let float = Array(text.utf8).withUnsafeBytes { NumberParser.float($0) }
      #expect(double == strtod(text, nil), "\(text) as Double")
      #expect(float == strtof(text, nil), "\(text) as Float")
    }
  }

  /// Floats print as `description` does (shortest round-trip digits), appended after what is there.
  @Test func floatsPrintAsSwiftsDescription() {
    var generator = SystemRandomNumberGenerator()
    var floats: [Float] = [
      0, -0, 1, -1, 0.1, 1e-5, 1e16, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 16_777_216, 16_777_218,
    ]
    var doubles: [Double] = [0, -0, 0.1, 1e-7, 1e22, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
    for _ in 0..<20_000 {
      floats.append(Float(bitPattern: UInt32.random(in: 0...0x7F7F_FFFF, using: &generator)))
      doubles.append(Double(bitPattern: UInt64.random(in: 0...0x7FEF_FFFF_FFFF_FFFF, using: &generator)))
    }
    for value in floats {
      var out: [UInt8] = [UInt8(ascii: "[")]
      ValueText.appendFloat(Double(value), single: true, &out)
      #expect(String(decoding: out, as: UTF8.self) == "[" + value.description, "\(value)")
    }
    for value in doubles {
      var out: [UInt8] = []
      ValueText.appendFloat(-value, single: false, &out)
      #expect(String(decoding: out, as: UTF8.self) == (-value).description, "\(value)")
    }
  }

  @Test func integersPrintAsSwiftDoes() {
    for value: Int64 in [0, 7, 9, 10, 99, 100, -1, -10, 1_234_567_890, .max, .min] {
      var out: [UInt8] = []
      ValueText.appendInteger(value, &out)
      #expect(String(decoding: out, as: UTF8.self) == String(value))
    }
  }
}
