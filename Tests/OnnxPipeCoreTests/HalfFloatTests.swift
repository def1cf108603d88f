import Testing

@testable import OnnxPipeCore

@Suite struct HalfFloatTests {
  func narrow(_ values: [Float], _ element: ElementType) -> [UInt16] {
    let bytes = values.withUnsafeBytes { HalfFloat.narrow($0, to: element) }
    return stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
  }

  /// float16: exact values, ties to even (2049 lies halfway between 2048 and 2050), overflow to infinity.
  @Test func float16RoundsToNearestEven() {
    #expect(
      narrow([1, -2, 0.5, 2049, 2051, 65520, 1e-8], .float16) == [
        0x3C00, 0xC000, 0x3800, 0x6800, 0x6802, 0x7C00, 0x0000,
      ])
  }

  /// bfloat16 keeps float32's exponent: the top 16 bits, rounded to nearest even; NaN stays NaN.
  @Test func bfloat16RoundsToNearestEven() {
    let halfway = Float(bitPattern: 0x3F80_8000)  // between 0x3F80 and 0x3F81: to the even one
    let above = Float(bitPattern: 0x3F80_8001)
    let oddHalfway = Float(bitPattern: 0x3F81_8000)  // between 0x3F81 and 0x3F82: up to the even one
    #expect(
      narrow([1, halfway, above, oddHalfway, -3e38], .bfloat16) == [0x3F80, 0x3F80, 0x3F81, 0x3F82, 0xFF62])
    #expect(narrow([.nan], .bfloat16)[0] & 0x7FC0 == 0x7FC0)
  }

  @Test(arguments: [ElementType.float16, .bfloat16])
  func wideningGivesBackEveryHalfFloatExactly(element: ElementType) {
    let bits = (0..<UInt16.max).filter { element == .float16 ? $0 & 0x7C00 != 0x7C00 : $0 & 0x7F80 != 0x7F80 }
    let bytes = bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    let wide = HalfFloat.widen(bytes, from: element)
    let floats = wide.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    #expect(narrow(floats, element) == bits)
  }
}
