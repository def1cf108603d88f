/// Collects a record batch being written: its field nodes, and its buffers
/// laid out in one body, each starting 8-aligned.
struct ArrowBodyBuilder {
  private(set) var nodes: [ArrowFieldNode] = []
  private(set) var buffers: [ArrowBufferSpan] = []
  private(set) var body: [UInt8] = []

  init(capacity: Int = 0) {
    body.reserveCapacity(capacity)
  }

  mutating func appendNode(length: Int, nullCount: Int = 0) {
    nodes.append(ArrowFieldNode(length: length, nullCount: nullCount))
  }

  /// Appends a buffer whose bytes `fill` writes into `count` zeroed bytes.
  mutating func appendBuffer(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void = { _ in }) {
    let start = body.count
    let padded = (count + 7) & ~7
    body.append(contentsOf: repeatElement(0, count: padded))
    if count > 0 {
      body.withUnsafeMutableBytes { raw in
        fill(UnsafeMutableRawBufferPointer(rebasing: raw[start..<start + count]))
      }
    }
    buffers.append(ArrowBufferSpan(offset: start, length: count))
  }

  /// Appends a copy of `bytes` as a buffer.
  mutating func appendBuffer(_ bytes: UnsafeRawBufferPointer) {
    appendBuffer(count: bytes.count) { $0.copyMemory(from: bytes) }
  }

  /// Appends a validity bitmap for `valid` (empty when every row is valid) and
  /// returns the null count.
  mutating func appendValidity(_ valid: [Bool]?) -> Int {
    guard let valid, valid.contains(false) else {
      appendBuffer(count: 0)
      return 0
    }
    appendBuffer(count: (valid.count + 7) / 8) { bits in
      for (row, isValid) in valid.enumerated() where isValid {
        bits[row >> 3] |= 1 << UInt8(row & 7)
      }
    }
    return valid.count(where: { !$0 })
  }

  /// The record batch message for `rows` rows: metadata, then the body.
  /// - Parameter variadicBufferCounts: the data buffers of each view array, in order.
  func message(rows: Int, variadicBufferCounts: [Int] = []) -> [UInt8] {
    var out = ArrowMessage.encode(
      headerType: 3, header: header(rows, variadicBufferCounts).node, bodyLength: body.count)
    out.append(contentsOf: body)
    return out
  }

  /// The dictionary batch message for dictionary `id`, its values being the one array collected (`rows` entries).
  func dictionaryMessage(id: Int64, isDelta: Bool, rows: Int, variadicBufferCounts: [Int]) -> [UInt8] {
    let batch = ArrowDictionaryBatch(id: id, data: header(rows, variadicBufferCounts), isDelta: isDelta)
    var out = ArrowMessage.encode(headerType: 2, header: batch.node, bodyLength: body.count)
    out.append(contentsOf: body)
    return out
  }

  private func header(_ rows: Int, _ variadicBufferCounts: [Int]) -> ArrowRecordBatch {
    ArrowRecordBatch(
      length: rows, nodes: nodes, buffers: buffers, compression: nil,
      variadicBufferCounts: variadicBufferCounts)
  }
}
