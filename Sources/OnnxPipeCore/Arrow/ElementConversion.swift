/// Copies `count` elements of type `source` to `destination` as type
/// `target`, converting numbers (and bools) as a cast in C would; the same
/// type is a plain copy; half floats round to nearest even. Strings are copied only to themselves.
func convertElements(
  _ source: ElementType, _ from: UnsafeRawPointer, to target: ElementType, _ to: UnsafeMutableRawPointer,
  count: Int
) {
  if source == target {
    to.copyMemory(from: from, byteCount: count * source.byteWidth!)
    return
  }
  for index in 0..<count {
    store(load(source, from, index), target, to, index)
  }
}

/// One number read from a tensor, in the widest type of its kind.
private enum Scalar {
  case signed(Int64)
  case unsigned(UInt64)
  case real(Double)
}

private func load(_ element: ElementType, _ base: UnsafeRawPointer, _ index: Int) -> Scalar {
  func at<T>(_ type: T.Type) -> T {
    base.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self)
  }
  switch element {
  case .bool: return .unsigned(at(UInt8.self) != 0 ? 1 : 0)
  case .int8: return .signed(Int64(at(Int8.self)))
  case .int16: return .signed(Int64(at(Int16.self)))
  case .int32: return .signed(Int64(at(Int32.self)))
  case .int64: return .signed(at(Int64.self))
  case .uint8: return .unsigned(UInt64(at(UInt8.self)))
  case .uint16: return .unsigned(UInt64(at(UInt16.self)))
  case .uint32: return .unsigned(UInt64(at(UInt32.self)))
  case .uint64: return .unsigned(at(UInt64.self))
  case .float32: return .real(Double(at(Float.self)))
  case .float64: return .real(at(Double.self))
  case .float16: return .real(Double(Float16(bitPattern: UInt16(littleEndian: at(UInt16.self)))))
  case .bfloat16: return .real(Double(Float(bitPattern: UInt32(UInt16(littleEndian: at(UInt16.self))) << 16)))
  case .string: preconditionFailure("no conversion from \(element)")
  }
}

private func store(_ value: Scalar, _ element: ElementType, _ base: UnsafeMutableRawPointer, _ index: Int) {
  func put<T>(_ item: T) { base.storeBytes(of: item, toByteOffset: index * MemoryLayout<T>.size, as: T.self) }
  func integer<T: FixedWidthInteger>(_ type: T.Type) -> T {
    switch value {
    case .signed(let number): T(truncatingIfNeeded: number)
    case .unsigned(let number): T(truncatingIfNeeded: number)
    case .real(let number):
      number.isNaN ? 0 : number >= Double(T.max) ? T.max : number <= Double(T.min) ? T.min : T(number)
    }
  }
  var real: Double {
    switch value {
    case .signed(let number): Double(number)
    case .unsigned(let number): Double(number)
    case .real(let number): number
    }
  }
  switch element {
  case .bool:
    switch value {
    case .real(let number): put(UInt8(number != 0 ? 1 : 0))
    case .signed(let number): put(UInt8(number != 0 ? 1 : 0))
    case .unsigned(let number): put(UInt8(number != 0 ? 1 : 0))
    }
  case .int8: put(integer(Int8.self))
  case .int16: put(integer(Int16.self))
  case .int32: put(integer(Int32.self))
  case .int64: put(integer(Int64.self))
  case .uint8: put(integer(UInt8.self))
  case .uint16: put(integer(UInt16.self))
  case .uint32: put(integer(UInt32.self))
  case .uint64: put(integer(UInt64.self))
  case .float32: put(Float(real))
  case .float64: put(real)
  case .float16: put(Float16(real).bitPattern.littleEndian)
  case .bfloat16: put(HalfFloat.bfloat16Bits(Float(real)).littleEndian)
  case .string: preconditionFailure("no conversion to \(element)")
  }
}
