import COnnxRuntime

/// Owns one `OrtValue`: a tensor, a sequence or a map.
///
/// A tensor created over caller memory keeps `owner` alive so the memory
/// under it cannot be freed first.
public final class Value: @unchecked Sendable {
  // @unchecked Sendable: an OrtValue is not mutated by any method here after
  // creation, and ONNX Runtime's read accessors are safe to call concurrently.
  let handle: OpaquePointer
  private let owner: AnyObject?

  init(taking handle: OpaquePointer, owner: AnyObject? = nil) {
    self.handle = handle
    self.owner = owner
  }

  deinit { ort.ReleaseValue!(handle) }

  /// A tensor over `bytes`, which must stay valid and unchanged while the value lives.
  ///
  /// No copy is made: this is how input frames reach the model. `bytes.count`
  /// must equal the element count times the element width.
  public static func tensor(
    borrowing bytes: UnsafeRawBufferPointer, elementType: TensorElementType, shape: [Int]
  ) throws(ORTError) -> Value {
    guard let width = elementType.byteWidth else {
      throw ORTError(code: .invalidArgument, message: "string tensors need Value.stringTensor")
    }
    let count = shape.reduce(1, *)
    precondition(
      bytes.count == count * width,
      "tensor of shape \(shape) needs \(count * width) bytes, got \(bytes.count)")
    let dims = shape.map { Int64($0) }
    var value: OpaquePointer?
    // ONNX Runtime never writes to an input tensor; the mutable cast only satisfies the C signature.
    let data = UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 16)!)
    try check(
      ort.CreateTensorWithDataAsOrtValue!(
        cpuMemoryInfo.handle, data, bytes.count, dims, dims.count, elementType.raw, &value))
    return Value(taking: value!)
  }

  /// A tensor over `bytes` that a run writes an output into (`Session.run(_:outputIndices:into:)`).
  /// The memory must outlive the value.
  public static func tensor(
    writingInto bytes: UnsafeMutableRawBufferPointer, elementType: TensorElementType, shape: [Int]
  ) throws(ORTError) -> Value {
    try tensor(borrowing: UnsafeRawBufferPointer(bytes), elementType: elementType, shape: shape)
  }

  /// A string tensor holding copies of `strings` (row-major, `shape`'s element count).
  public static func stringTensor(_ strings: [String], shape: [Int]) throws(ORTError) -> Value {
    precondition(
      strings.count == shape.reduce(1, *), "\(strings.count) strings for shape \(shape)")
    let dims = shape.map { Int64($0) }
    var value: OpaquePointer?
    try check(
      ort.CreateTensorAsOrtValue!(
        defaultAllocator, dims, dims.count, ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING, &value))
    let tensor = Value(taking: value!)
    // Each string's bytes go straight into the tensor's own string (one call and one copy per
    // element; strdup and FillStringTensor cost a copy, a strlen and a free more). All of them,
    // a NUL included, as onnxruntime's Python API passes them: FillStringTensor's C strings
    // would end at the first NUL and cut the value without a word.
    for (index, string) in strings.enumerated() {
      var string = string
      let status = string.withUTF8 { utf8 -> OpaquePointer? in
        let length = utf8.count
        var buffer: UnsafeMutablePointer<CChar>?
        let status = ort.GetResizedStringTensorElementBuffer!(tensor.handle, index, length, &buffer)
        if status == nil, length > 0 {
          UnsafeMutableRawPointer(buffer!).copyMemory(from: utf8.baseAddress!, byteCount: length)
        }
        return status
      }
      try check(status)
    }
    return tensor
  }
}

/// The one CPU memory description every borrowed tensor uses.
let cpuMemoryInfo: MemoryInfo = {
  do { return try MemoryInfo() } catch {
    fatalError("onnxpipe: cannot describe CPU memory: \(error)")
  }
}()

/// Owns an `OrtMemoryInfo` for plain CPU memory.
final class MemoryInfo: @unchecked Sendable {
  // @unchecked Sendable: immutable after creation; only read by CreateTensorWithDataAsOrtValue.
  let handle: OpaquePointer

  init() throws(ORTError) {
    var info: OpaquePointer?
    try check(ort.CreateCpuMemoryInfo!(OrtArenaAllocator, OrtMemTypeDefault, &info))
    handle = info!
  }

  deinit { ort.ReleaseMemoryInfo!(handle) }
}
