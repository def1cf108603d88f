import COnnxRuntime

/// The element type of an ONNX tensor (`ONNXTensorElementDataType`).
public enum TensorElementType: String, Sendable, Equatable, CaseIterable {
  case float32, float64, float16, bfloat16
  case int8, int16, int32, int64
  case uint8, uint16, uint32, uint64
  case bool, string

  /// Bytes per element, or nil for strings (variable length).
  public var byteWidth: Int? {
    switch self {
    case .int8, .uint8, .bool: 1
    case .float16, .bfloat16, .int16, .uint16: 2
    case .float32, .int32, .uint32: 4
    case .float64, .int64, .uint64: 8
    case .string: nil
    }
  }

  init?(_ raw: ONNXTensorElementDataType) {
    switch raw {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: self = .float32
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: self = .float64
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: self = .float16
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16: self = .bfloat16
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: self = .int8
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16: self = .int16
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: self = .int32
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: self = .int64
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: self = .uint8
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16: self = .uint16
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32: self = .uint32
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64: self = .uint64
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: self = .bool
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING: self = .string
    default: return nil
    }
  }

  var raw: ONNXTensorElementDataType {
    switch self {
    case .float32: ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT
    case .float64: ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE
    case .float16: ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16
    case .bfloat16: ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16
    case .int8: ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8
    case .int16: ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16
    case .int32: ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32
    case .int64: ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64
    case .uint8: ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8
    case .uint16: ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16
    case .uint32: ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32
    case .uint64: ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64
    case .bool: ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL
    case .string: ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING
    }
  }
}
