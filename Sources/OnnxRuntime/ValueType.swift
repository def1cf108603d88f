import COnnxRuntime

/// The declared type of a model input or output.
public indirect enum ValueType: Sendable, Equatable {
  /// A tensor: element type and shape. A dimension is `nil` when it is not
  /// fixed; `symbolicDimensions` then holds its name ("" when unnamed).
  case tensor(TensorElementType, shape: [Int?], symbolicDimensions: [String])
  /// A sequence of values of one type (skl2onnx's ZipMap emits `seq(map(int64, float))`).
  case sequence(ValueType)
  /// A map from tensor-element keys to values.
  case map(key: TensorElementType, value: ValueType)
  /// Anything this wrapper does not describe (optional, sparse tensors...).
  case other(String)
}

/// A model input or output: its name and declared type.
public struct ValueInfo: Sendable, Equatable {
  public let name: String
  public let type: ValueType
}

/// Reads an `OrtTypeInfo*` (not owned) into a `ValueType`.
func describe(typeInfo: OpaquePointer) throws(ORTError) -> ValueType {
  var onnxType = ONNX_TYPE_UNKNOWN
  try check(ort.GetOnnxTypeFromTypeInfo!(typeInfo, &onnxType))
  switch onnxType {
  case ONNX_TYPE_TENSOR:
    var tensorInfo: OpaquePointer?
    try check(ort.CastTypeInfoToTensorInfo!(typeInfo, &tensorInfo))
    return try describe(tensorInfo: tensorInfo!)
  case ONNX_TYPE_SEQUENCE:
    var sequenceInfo: OpaquePointer?
    try check(ort.CastTypeInfoToSequenceTypeInfo!(typeInfo, &sequenceInfo))
    var element: OpaquePointer?
    try check(ort.GetSequenceElementType!(sequenceInfo, &element))
    defer { ort.ReleaseTypeInfo!(element) }
    return .sequence(try describe(typeInfo: element!))
  case ONNX_TYPE_MAP:
    var mapInfo: OpaquePointer?
    try check(ort.CastTypeInfoToMapTypeInfo!(typeInfo, &mapInfo))
    var rawKey = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED
    try check(ort.GetMapKeyType!(mapInfo, &rawKey))
    var valueInfo: OpaquePointer?
    try check(ort.GetMapValueType!(mapInfo, &valueInfo))
    defer { ort.ReleaseTypeInfo!(valueInfo) }
    guard let key = TensorElementType(rawKey) else { return .other("map") }
    return .map(key: key, value: try describe(typeInfo: valueInfo!))
  case ONNX_TYPE_OPTIONAL: return .other("optional")
  case ONNX_TYPE_SPARSETENSOR: return .other("sparse_tensor")
  default: return .other("unknown")
  }
}

/// Reads an `OrtTensorTypeAndShapeInfo*` (not owned) into a tensor `ValueType`.
func describe(tensorInfo: OpaquePointer) throws(ORTError) -> ValueType {
  let (rawElement, dims) = try elementAndDimensions(tensorInfo)
  let rank = dims.count
  var names = [UnsafePointer<CChar>?](repeating: nil, count: rank)
  try check(ort.GetSymbolicDimensions!(tensorInfo, &names, rank))
  guard let element = TensorElementType(rawElement) else {
    return .other("tensor(element type \(rawElement.rawValue))")
  }
  return .tensor(
    element, shape: dims.map { $0 < 0 ? nil : Int($0) },
    symbolicDimensions: names.map { $0.map { String(cString: $0) } ?? "" })
}

/// An `OrtTensorTypeAndShapeInfo*`'s element type and dimensions (-1 where not fixed).
func elementAndDimensions(_ tensorInfo: OpaquePointer) throws(ORTError) -> (
  ONNXTensorElementDataType, [Int64]
) {
  var rawElement = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED
  try check(ort.GetTensorElementType!(tensorInfo, &rawElement))
  var rank = 0
  try check(ort.GetDimensionsCount!(tensorInfo, &rank))
  var dims = [Int64](repeating: 0, count: rank)
  try check(ort.GetDimensions!(tensorInfo, &dims, rank))
  return (rawElement, dims)
}
