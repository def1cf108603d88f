/// Row slices of tensors: the first dimension is the batch, so rows can be
/// cut out of a run's inputs or outputs and outputs of several runs joined
/// (adaptive batching merges and cuts frames with these).
extension InputTensor {
  /// Rows `range` of this tensor, over the same memory.
  func rows(_ range: Range<Int>) -> InputTensor {
    let total = shape.first ?? 0
    let shape = [range.count] + shape.dropFirst()
    switch contents {
    case .bytes(let bytes):
      let rowBytes = total == 0 ? 0 : bytes.count / total
      return InputTensor(
        element: element, shape: shape,
        contents: .bytes(
          UnsafeRawBufferPointer(
            rebasing: bytes[(range.lowerBound * rowBytes)..<(range.upperBound * rowBytes)])))
    case .strings(let strings):
      let rowElements = total == 0 ? 0 : strings.count / total
      return InputTensor(
        element: element, shape: shape,
        contents: .strings(
          Array(strings[(range.lowerBound * rowElements)..<(range.upperBound * rowElements)])))
    }
  }
}

extension OutputTensor {
  /// Rows in the first dimension (maps: one per row).
  var rowCount: Int {
    if case .maps(let maps) = contents { return maps.count }
    return shape.first ?? 0
  }

  var byteCount: Int {
    if case .bytes(let bytes) = contents { return bytes.count }
    return 0
  }

  /// Rows `range` of this output (the first dimension), as a tensor of its own.
  func rows(_ range: Range<Int>) -> OutputTensor {
    let count = range.count
    let shape = [count] + shape.dropFirst()
    switch contents {
    case .bytes(let bytes):
      let total = self.shape.first ?? 0
      let rowBytes = total == 0 ? 0 : bytes.count / total
      return OutputTensor(
        element: element, shape: shape,
        contents: .bytes(Array(bytes[(range.lowerBound * rowBytes)..<(range.upperBound * rowBytes)])))
    case .strings(let strings):
      let total = self.shape.first ?? 0
      let rowElements = total == 0 ? 0 : strings.count / total
      return OutputTensor(
        element: element, shape: shape,
        contents: .strings(
          Array(strings[(range.lowerBound * rowElements)..<(range.upperBound * rowElements)])))
    case .maps(let maps):
      return OutputTensor(element: element, shape: [count], contents: .maps(Array(maps[range])))
    }
  }

  /// `parts` joined along the rows.
  static func joined(_ parts: [OutputTensor]) -> OutputTensor {
    let first = parts[0]
    let rows = parts.reduce(0) { $0 + ($1.shape.first ?? 0) }
    let shape = [rows] + first.shape.dropFirst()
    switch first.contents {
    case .bytes:
      var bytes: [UInt8] = []
      for part in parts { if case .bytes(let more) = part.contents { bytes += more } }
      return OutputTensor(element: first.element, shape: shape, contents: .bytes(bytes))
    case .strings:
      var strings: [String] = []
      for part in parts { if case .strings(let more) = part.contents { strings += more } }
      return OutputTensor(element: first.element, shape: shape, contents: .strings(strings))
    case .maps:
      var maps: [[MapEntry]] = []
      for part in parts { if case .maps(let more) = part.contents { maps += more } }
      return OutputTensor(element: first.element, shape: [maps.count], contents: .maps(maps))
    }
  }
}
