/// An input tensor's rows copied into memory of its own and padded with
/// zeros (empty strings) to a run's fixed size: the last, short run of a
/// model whose batch dimension is fixed.
struct PaddedInput {
  let element: ElementType
  let shape: [Int]
  let bytes: [UInt8]
  let strings: [String]
}

extension InputTensor {
  /// These rows followed by padding rows up to `rows`.
  func padded(to rows: Int) -> PaddedInput {
    let current = shape.first ?? 0
    precondition(current >= 1 && current <= rows, "padding \(current) rows to \(rows)")
    let padding = rows - current
    switch contents {
    case .bytes(let raw):
      var bytes = Array(raw)
      bytes += repeatElement(0, count: padding * (raw.count / current))
      return PaddedInput(element: element, shape: [rows] + shape.dropFirst(), bytes: bytes, strings: [])
    case .strings(let strings):
      let padded = strings + repeatElement("", count: padding * (strings.count / current))
      return PaddedInput(element: element, shape: [rows] + shape.dropFirst(), bytes: [], strings: padded)
    }
  }
}

extension [PaddedInput] {
  /// Calls `body` with tensors over these inputs' memory, valid during the call.
  func withBorrowedTensors<R>(_ body: ([InputTensor]) throws -> R) throws -> R {
    func borrow(_ index: Int, _ tensors: [InputTensor]) throws -> R {
      guard index < count else { return try body(tensors) }
      let input = self[index]
      if input.element == .string {
        return try borrow(
          index + 1,
          tensors + [InputTensor(element: .string, shape: input.shape, contents: .strings(input.strings))])
      }
      return try input.bytes.withUnsafeBytes { raw in
        try borrow(
          index + 1,
          tensors + [InputTensor(element: input.element, shape: input.shape, contents: .bytes(raw))])
      }
    }
    return try borrow(0, [])
  }
}
