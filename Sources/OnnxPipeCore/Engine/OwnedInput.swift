/// An input tensor in memory of its own, for a run over data that is not
/// lying in a batch as is: rows padded to a fixed run's size, rows gathered
/// by length, a probe's zeros, half floats narrowed from float32.
struct OwnedInput {
  let element: ElementType
  let shape: [Int]
  let bytes: [UInt8]
  let strings: [String]
}

extension InputTensor {
  /// These rows followed by padding rows up to `rows`.
  func padded(to rows: Int) -> OwnedInput {
    let current = shape.first ?? 0
    precondition(current >= 1 && current <= rows, "padding \(current) rows to \(rows)")
    let padding = rows - current
    switch contents {
    case .bytes(let raw):
      var bytes = Array(raw)
      bytes += repeatElement(0, count: padding * (raw.count / current))
      return OwnedInput(element: element, shape: [rows] + shape.dropFirst(), bytes: bytes, strings: [])
    case .strings(let strings):
      let padded = strings + repeatElement("", count: padding * (strings.count / current))
      return OwnedInput(element: element, shape: [rows] + shape.dropFirst(), bytes: [], strings: padded)
    }
  }
}

extension InputTensor {
  /// A copy of this tensor; float32 values narrowed to `element` (float16 or bfloat16) when given.
  func owned(narrowingTo element: ElementType? = nil) -> OwnedInput {
    switch contents {
    case .bytes(let raw):
      let bytes = element.map { HalfFloat.narrow(raw, to: $0) } ?? Array(raw)
      return OwnedInput(element: element ?? self.element, shape: shape, bytes: bytes, strings: [])
    case .strings(let strings):
      return OwnedInput(element: .string, shape: shape, bytes: [], strings: strings)
    }
  }
}

extension [OwnedInput] {
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
