/// The element type of a tensor, as the formats see it.
///
/// Mirrors ONNX's tensor element types; raw values are the names `inspect`
/// prints (`float32[N,32]`).
public enum ElementType: String, Sendable, CaseIterable {
  case float32, float64, float16, bfloat16
  case int8, int16, int32, int64
  case uint8, uint16, uint32, uint64
  case bool, string

  /// Bytes per element, or nil for strings.
  public var byteWidth: Int? {
    switch self {
    case .int8, .uint8, .bool: 1
    case .float16, .bfloat16, .int16, .uint16: 2
    case .float32, .int32, .uint32: 4
    case .float64, .int64, .uint64: 8
    case .string: nil
    }
  }
}

/// One dimension of a declared tensor shape.
public enum Dimension: Sendable, Equatable, CustomStringConvertible {
  /// A fixed size.
  case fixed(Int)
  /// A size known only at run time; the name is "" when the model gives none.
  case symbolic(String)

  public var description: String {
    switch self {
    case .fixed(let size): String(size)
    case .symbolic(let name): name.isEmpty ? "?" : name
    }
  }
}

/// A model input or output as the pipeline sees it.
public struct TensorSpec: Sendable, Equatable {
  /// What the value is: a tensor with an element type and shape, or something else.
  public enum Kind: Sendable, Equatable {
    case tensor(ElementType, [Dimension])
    /// A non-tensor value (sequence, map...), described in ONNX's notation.
    case other(String)
  }

  public let name: String
  public let kind: Kind

  public init(name: String, kind: Kind) {
    self.name = name
    self.kind = kind
  }

  /// An input's element type and row shape (the dimensions after the batch
  /// dimension), with symbolic dimensions taken from `pinned` (`--dim`).
  /// - Parameter format: names the format in messages ("raw frames", "text formats").
  public func inputRow(pinned: [String: Int], format: String) throws(PipeError) -> (ElementType, [Int]) {
    guard case .tensor(let element, let shape) = kind else {
      throw PipeError(
        .model, "input '\(name)' is \(typeDescription), not a tensor; \(format) carry tensors only")
    }
    guard !shape.isEmpty else {
      throw PipeError(.model, "input '\(name)' is a scalar; \(format) need a leading batch dimension")
    }
    var row: [Int] = []
    for (position, dim) in shape.enumerated().dropFirst() {
      switch dim {
      case .fixed(let size): row.append(size)
      case .symbolic(let dimension):
        // `--dim INPUT:AXIS=SIZE` pins one input's axis (the only way to name an unnamed one).
        guard let size = pinned["\(name):\(position)"] ?? (dimension.isEmpty ? nil : pinned[dimension]) else {
          let label = dimension.isEmpty ? "an unnamed free dimension" : "the free dimension '\(dimension)'"
          let key = dimension.isEmpty ? "\(name):\(position)" : dimension
          throw PipeError(
            .model, "input '\(name)' has \(label) at position \(position); pin it with --dim \(key)=SIZE")
        }
        row.append(size)
      }
    }
    return (element, row)
  }

  /// `float32[N,32]`, `int64[?]`, or the non-tensor description.
  public var typeDescription: String {
    switch kind {
    case .tensor(let element, let shape):
      "\(element.rawValue)[\(shape.map(\.description).joined(separator: ","))]"
    case .other(let text): text
    }
  }
}

/// A model's inputs and outputs, in model order, plus what it says about itself.
public struct ModelSignature: Sendable, Equatable {
  public var inputs: [TensorSpec]
  public var outputs: [TensorSpec]
  public var producer: String
  public var graphName: String
  /// The output `--model-field` adds (`ModelFieldEngine`), as an index into
  /// `outputs`: written under its own name, which `--prefix` leaves alone.
  public var modelField: Int?

  public init(inputs: [TensorSpec], outputs: [TensorSpec], producer: String = "", graphName: String = "") {
    self.inputs = inputs
    self.outputs = outputs
    self.producer = producer
    self.graphName = graphName
  }
}
