/// One input tensor handed to an engine.
///
/// Numeric data is borrowed: it points into a frame's payload (no copy) and is
/// valid only for the duration of the `run` call it is passed to.
public struct InputTensor {
  /// The tensor's contents.
  public enum Contents {
    case bytes(UnsafeRawBufferPointer)
    case strings([String])
  }

  public let element: ElementType
  public let shape: [Int]
  public let contents: Contents

  public init(element: ElementType, shape: [Int], contents: Contents) {
    self.element = element
    self.shape = shape
    self.contents = contents
  }
}

/// One key and value of a map output (skl2onnx's ZipMap: class label to probability).
public struct MapEntry: Sendable, Equatable {
  public let key: String
  public let value: Double

  public init(key: String, value: Double) {
    self.key = key
    self.value = value
  }
}

/// One output returned by an engine, owning its data.
public struct OutputTensor: Sendable, Equatable {
  /// The output's contents: little-endian bytes, strings, or one map per row.
  public enum Contents: Sendable, Equatable {
    case bytes([UInt8])
    case strings([String])
    /// A sequence of maps (non-tensor output), one per row; `element` is the values' type.
    case maps([[MapEntry]])
  }

  public let element: ElementType
  public let shape: [Int]
  public let contents: Contents

  public init(element: ElementType, shape: [Int], contents: Contents) {
    self.element = element
    self.shape = shape
    self.contents = contents
  }
}

/// Runs a model. The pipeline's only view of ONNX Runtime, so pipeline tests
/// can use a fake engine.
///
/// `run` is called from several worker threads at once and must be thread-safe.
public protocol InferenceEngine: Sendable {
  /// The model's inputs and outputs.
  var signature: ModelSignature { get }

  /// Runs the model on one tensor per model input (model order) and returns
  /// the outputs at `outputs` (indices into `signature.outputs`), in that order.
  func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor]
}
