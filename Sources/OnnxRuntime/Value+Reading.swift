import COnnxRuntime

/// The kind of an `OrtValue` at run time.
public enum ValueKind: Sendable, Equatable {
  case tensor, sequence, map, other
}

extension Value {
  /// Whether this value is a tensor, a sequence or a map.
  public func kind() throws(ORTError) -> ValueKind {
    var type = ONNX_TYPE_UNKNOWN
    try check(ort.GetValueType!(handle, &type))
    switch type {
    case ONNX_TYPE_TENSOR: return .tensor
    case ONNX_TYPE_SEQUENCE: return .sequence
    case ONNX_TYPE_MAP: return .map
    default: return .other
    }
  }

  /// A tensor's element type and shape (what it holds at run time: no dimension names).
  public func tensorShape() throws(ORTError) -> (elementType: TensorElementType, shape: [Int]) {
    var info: OpaquePointer?
    try check(ort.GetTensorTypeAndShape!(handle, &info))
    defer { ort.ReleaseTensorTypeAndShapeInfo!(info) }
    let (rawElement, dims) = try elementAndDimensions(info!)
    guard let element = TensorElementType(rawElement) else {
      throw ORTError(code: .invalidArgument, message: "tensor has an unsupported element type")
    }
    return (element, dims.map { Int(max($0, 0)) })
  }

  /// Calls `body` with a fixed-width tensor's element type, shape and bytes
  /// (read once); the bytes must not escape.
  public func withUnsafeTensor<R, E: Error>(
    _ body: (TensorElementType, [Int], UnsafeRawBufferPointer) throws(E) -> R
  ) throws -> R {
    let (element, shape) = try tensorShape()
    guard let width = element.byteWidth else {
      throw ORTError(code: .invalidArgument, message: "string tensor has no fixed-width bytes")
    }
    var data: UnsafeMutableRawPointer?
    try check(ort.GetTensorMutableData!(handle, &data))
    let count = shape.reduce(1, *) * width
    return try body(element, shape, UnsafeRawBufferPointer(start: count == 0 ? nil : data, count: count))
  }

  /// Calls `body` with a fixed-width tensor's bytes; they must not escape.
  public func withUnsafeTensorBytes<R, E: Error>(
    _ body: (UnsafeRawBufferPointer) throws(E) -> R
  ) throws -> R {
    try withUnsafeTensor { (_, _, bytes) throws(E) in try body(bytes) }
  }

  /// A string tensor's elements, row-major.
  public func stringElements() throws(ORTError) -> [String] {
    let (element, shape) = try tensorShape()
    guard element == .string else {
      throw ORTError(code: .invalidArgument, message: "tensor of \(element) is not a string tensor")
    }
    let count = shape.reduce(1, *)
    var total = 0
    try check(ort.GetStringTensorDataLength!(handle, &total))
    var bytes = [UInt8](repeating: 0, count: max(total, 1))
    var offsets = [Int](repeating: 0, count: max(count, 1))
    try check(ort.GetStringTensorContent!(handle, &bytes, total, &offsets, count))
    return (0..<count).map { index in
      let start = offsets[index]
      let end = index + 1 < count ? offsets[index + 1] : total
      return String(decoding: bytes[start..<end], as: UTF8.self)
    }
  }

  /// The number of elements of a sequence, or 2 for a map (its keys and values tensors).
  public func elementCount() throws(ORTError) -> Int {
    var count = 0
    try check(ort.GetValueCount!(handle, &count))
    return count
  }

  /// The element at `index` of a sequence; for a map, 0 is the keys tensor and 1 the values tensor.
  public func element(at index: Int) throws(ORTError) -> Value {
    var out: OpaquePointer?
    try check(ort.GetValue!(handle, Int32(index), defaultAllocator, &out))
    return Value(taking: out!)
  }
}
