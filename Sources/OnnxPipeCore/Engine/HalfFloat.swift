/// float16 and bfloat16 to and from float32, little-endian, for models whose
/// tensors are half floats while text and Arrow columns hold float32.
/// Narrowing rounds to nearest, ties to even, as IEEE 754 and NumPy do.
enum HalfFloat {
  /// float32 values (`raw`) as `element` (float16 or bfloat16) bytes.
  static func narrow(_ raw: UnsafeRawBufferPointer, to element: ElementType) -> [UInt8] {
    let count = raw.count / 4
    var out = [UInt8](repeating: 0, count: count * 2)
    out.withUnsafeMutableBytes { destination in
      for index in 0..<count {
        let value = raw.loadUnaligned(fromByteOffset: index * 4, as: Float.self)
        let bits = element == .bfloat16 ? bfloat16Bits(value) : Float16(value).bitPattern
        destination.storeBytes(of: bits.littleEndian, toByteOffset: index * 2, as: UInt16.self)
      }
    }
    return out
  }

  /// `element` (float16 or bfloat16) bytes as float32 bytes (exact: every half float is a float32).
  static func widen(_ raw: [UInt8], from element: ElementType) -> [UInt8] {
    let count = raw.count / 2
    var out = [UInt8](repeating: 0, count: count * 4)
    raw.withUnsafeBytes { source in
      out.withUnsafeMutableBytes { destination in
        for index in 0..<count {
          let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
          let value =
            element == .bfloat16 ? Float(bitPattern: UInt32(bits) << 16) : Float(Float16(bitPattern: bits))
          destination.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
        }
      }
    }
    return out
  }

  /// The bfloat16 nearest `value` (ties to even); NaN stays a quiet NaN.
  static func bfloat16Bits(_ value: Float) -> UInt16 {
    if value.isNaN { return 0x7FC0 | UInt16(value.bitPattern >> 16 & 0x8000) }
    let bits = value.bitPattern
    let rounded = bits &+ 0x7FFF &+ (bits >> 16 & 1)
    return UInt16(rounded >> 16)
  }
}
