/// The layout of one model input or output in a raw payload.
public struct RawSlot: Sendable, Equatable {
  /// Index into the model's inputs or outputs.
  public let index: Int
  public let name: String
  public let element: ElementType
  /// The dimensions after the batch dimension, with symbolic ones pinned.
  public let rowShape: [Int]
  /// Elements in one row: the product of `rowShape`.
  public var rowElements: Int { rowShape.reduce(1, *) }
  /// Bytes in one row, or nil for strings.
  public var rowBytes: Int? { element.byteWidth.map { $0 * rowElements } }
  /// For a sequence-of-maps output (ZipMap), its keys: the row is the map's values in this order.
  public var mapKeys: [String]?
}

/// The raw payload layout for one model: which inputs go where, which outputs
/// are written, and how many bytes a row takes.
///
/// Numeric payload (no string tensors), N rows:
/// ```
///   +----------------------+----------------------+-----+
///   | input 0: N x row0    | input 1: N x row1    | ... |   little-endian, row-major
///   +----------------------+----------------------+-----+
/// ```
/// With any string tensor the payload starts with the row count, and each
/// string element is its byte length then its UTF-8 bytes:
/// ```
///   +-----------+-------------------+--------------------------------------+
///   | N: u32 LE | numeric block ... | string block: (len: u32 LE, bytes)*  |
///   +-----------+-------------------+--------------------------------------+
/// ```
public struct RawFormat: Sendable {
  public let inputs: [RawSlot]
  public let outputs: [RawSlot]
  /// Whether input payloads carry a row count and length-prefixed strings.
  public let inputHasStrings: Bool
  /// Whether output payloads carry a row count and length-prefixed strings.
  public let outputHasStrings: Bool

  /// Bytes per row over all inputs, when no input is a string.
  public var inputRowBytes: Int? {
    inputHasStrings ? nil : inputs.reduce(0) { $0 + $1.rowBytes! }
  }

  /// Builds the layout for `signature`.
  /// - Parameters:
  ///   - outputNames: the outputs to write, in order; nil means every tensor output.
  ///   - pinnedDimensions: values for symbolic dimensions after the batch dimension (`--dim`).
  ///   - mapKeys: the keys of sequence-of-maps outputs, by output index (from a probe run), so
  ///     `--outputs` can name them: each is written as a dense block of its values in key order.
  ///   - readsInputs: false when only the outputs are written as raw frames (the input is another
  ///     format): the inputs are then left out.
  public init(
    signature: ModelSignature, outputNames: [String]? = nil, pinnedDimensions: [String: Int] = [:],
    mapKeys: [Int: [String]] = [:], readsInputs: Bool = true
  ) throws(PipeError) {
    var inputs: [RawSlot] = []
    for (index, spec) in signature.inputs.enumerated() where readsInputs {
      inputs.append(try Self.slot(index: index, spec: spec, role: "input", pinned: pinnedDimensions))
    }
    // Named outputs must be tensors (slot says so); by default every tensor output, maps left out.
    let selected =
      outputNames == nil
      ? signature.outputs.indices.filter {
        if case .tensor = signature.outputs[$0].kind { true } else { false }
      }
      : try signature.selectOutputs(outputNames)
    var outputs: [RawSlot] = []
    for index in selected {
      let spec = signature.outputs[index]
      if spec.isSequenceOfMaps, let keys = mapKeys[index] {
        outputs.append(
          RawSlot(
            index: index, name: spec.name, element: spec.mapValueElement, rowShape: [keys.count],
            mapKeys: keys))
        continue
      }
      outputs.append(try Self.slot(index: index, spec: spec, role: "output", pinned: nil))
    }
    if outputs.isEmpty {
      throw PipeError(.model, "the model has no tensor outputs to write as raw frames")
    }
    if inputs.isEmpty && readsInputs { throw PipeError(.model, "the model has no inputs") }
    self.inputs = inputs
    self.outputs = outputs
    inputHasStrings = inputs.contains { $0.element == .string }
    outputHasStrings = outputs.contains { $0.element == .string }
    if readsInputs, let rowBytes = inputRowBytes, rowBytes == 0 {
      throw PipeError(.model, "a row of the model's inputs has no elements; raw frames cannot count rows")
    }
  }

  /// One slot; `pinned` nil means output (free dimensions are allowed, bytes pass through).
  private static func slot(
    index: Int, spec: TensorSpec, role: String, pinned: [String: Int]?
  ) throws(PipeError) -> RawSlot {
    if let pinned {
      let (element, row) = try spec.inputRow(pinned: pinned, format: "raw frames")
      return RawSlot(index: index, name: spec.name, element: element, rowShape: row)
    }
    guard case .tensor(let element, let shape) = spec.kind else {
      throw PipeError(
        .usage,
        "\(role) '\(spec.name)' is \(spec.typeDescription), not a tensor; raw frames carry tensors only")
    }
    let row = shape.dropFirst().map { dim -> Int in if case .fixed(let size) = dim { size } else { 0 } }
    return RawSlot(index: index, name: spec.name, element: element, rowShape: Array(row))
  }

  /// `results` with each ZipMap output (a map per row) as the dense `[N, keys]` tensor raw frames carry.
  func densified(_ results: [OutputTensor]) -> [OutputTensor] {
    guard outputs.contains(where: { $0.mapKeys != nil }) else { return results }
    return zip(outputs, results).map { slot, result in
      guard let keys = slot.mapKeys, case .maps(let maps) = result.contents else { return result }
      var values: [Double] = []
      values.reserveCapacity(maps.count * keys.count)
      for map in maps {
        for (position, key) in keys.enumerated() {
          // Every row's map has the same keys in the same order; look a key up only when not.
          if position < map.count && map[position].key == key {
            values.append(map[position].value)
          } else {
            values.append(map.first { $0.key == key }?.value ?? .nan)
          }
        }
      }
      let bytes: [UInt8] =
        slot.element == .float64
        ? values.withUnsafeBytes { Array($0) } : values.map { Float($0) }.withUnsafeBytes { Array($0) }
      return OutputTensor(element: slot.element, shape: [maps.count, keys.count], contents: .bytes(bytes))
    }
  }

  /// Each output's block in an output frame, and a row's total.
  public func describeOutputRow() -> [String] {
    var lines = outputs.map { slot in
      let shape = (["N"] + slot.rowShape.map(String.init)).joined(separator: ",")
      let bytes = slot.rowBytes.map { "\($0) bytes" } ?? "\(slot.rowElements) x (u32 length + UTF-8)"
      let keys =
        slot.mapKeys.map {
          " (a map's values for keys \($0.joined(separator: ", ")); written when --outputs names it)"
        }
        ?? ""
      return "output \(slot.name) \(slot.element.rawValue)[\(shape)]: \(bytes) per row\(keys)"
    }
    if !outputHasStrings {
      let total = outputs.reduce(0) { $0 + $1.rowBytes! }
      lines.append(
        "output row: \(total) bytes; an output frame of N rows: u32 length \(total)*N, then the blocks")
    }
    return lines
  }

  /// `x float32[N,32]: 128 bytes` for each input, and the per-row total.
  public func describeInputRow() -> [String] {
    var lines = inputs.map { slot in
      let shape = (["N"] + slot.rowShape.map(String.init)).joined(separator: ",")
      let bytes = slot.rowBytes.map { "\($0) bytes" } ?? "\(slot.rowElements) x (u32 length + UTF-8)"
      return "\(slot.name) \(slot.element.rawValue)[\(shape)]: \(bytes) per row"
    }
    if let total = inputRowBytes {
      lines.append("one row: \(total) bytes; a frame of N rows: u32 length \(total)*N, then the blocks")
    } else {
      lines.append("one frame: u32 length, u32 row count N, then each input's block in order")
    }
    return lines
  }
}
