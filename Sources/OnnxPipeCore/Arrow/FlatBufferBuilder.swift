/// A FlatBuffers object to be written: a table, a string or a vector.
indirect enum FlatNode {
  /// A table: field id to value; absent ids are left out (their default applies).
  case table([Int: FlatField])
  case string(String)
  /// A vector of tables or strings.
  case vector([FlatNode])
  /// A vector of structs or scalars: the elements' bytes, `count` of them, aligned to `alignment`.
  case structs([UInt8], count: Int, alignment: Int)
}

/// One field of a table being written.
enum FlatField {
  case uint8(UInt8)
  case int16(Int16)
  case int32(Int32)
  case int64(Int64)
  case node(FlatNode)

  static func bool(_ value: Bool) -> FlatField { .uint8(value ? 1 : 0) }

  fileprivate var size: Int {
    switch self {
    case .uint8: 1
    case .int16: 2
    case .int32, .node: 4
    case .int64: 8
    }
  }
}

/// Writes FlatBuffers front to back: each table is written whole, then the
/// objects it refers to after it (FlatBuffers offsets point forward), every
/// scalar at its natural alignment from the buffer's start.
struct FlatBufferBuilder {
  private(set) var bytes: [UInt8] = []

  /// The finished buffer for `root`, padded to a multiple of 8 bytes.
  static func build(_ root: FlatNode) -> [UInt8] {
    var builder = FlatBufferBuilder()
    builder.bytes = [0, 0, 0, 0]
    builder.link(from: 0, to: builder.write(root))
    builder.align(8)
    return builder.bytes
  }

  private mutating func align(_ alignment: Int) {
    while bytes.count % alignment != 0 { bytes.append(0) }
  }

  private mutating func append<T: FixedWidthInteger>(_ value: T) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
  }

  private mutating func patch<T: FixedWidthInteger>(_ position: Int, _ value: T) {
    withUnsafeBytes(of: value.littleEndian) { raw in
      for (index, byte) in raw.enumerated() { bytes[position + index] = byte }
    }
  }

  /// Stores at `position` the unsigned offset to `target`, which lies after it.
  private mutating func link(from position: Int, to target: Int) {
    precondition(target > position, "FlatBuffers offsets point forward")
    patch(position, UInt32(target - position))
  }

  /// Writes `node` and everything it refers to; returns where it starts.
  private mutating func write(_ node: FlatNode) -> Int {
    switch node {
    case .table(let fields): return writeTable(fields)
    case .string(let text):
      align(4)
      let start = bytes.count
      append(UInt32(text.utf8.count))
      bytes.append(contentsOf: text.utf8)
      bytes.append(0)
      return start
    case .vector(let elements):
      align(4)
      let start = bytes.count
      append(UInt32(elements.count))
      let slots = bytes.count
      bytes.append(contentsOf: repeatElement(0, count: 4 * elements.count))
      for (index, element) in elements.enumerated() {
        link(from: slots + 4 * index, to: write(element))
      }
      return start
    case .structs(let elements, let count, let alignment):
      align(4)
      while (bytes.count + 4) % alignment != 0 { bytes.append(0) }
      let start = bytes.count
      append(UInt32(count))
      bytes.append(contentsOf: elements)
      return start
    }
  }

  private mutating func writeTable(_ fields: [Int: FlatField]) -> Int {
    let slots = (fields.keys.max() ?? -1) + 1
    align(2)
    let vtable = bytes.count
    bytes.append(contentsOf: repeatElement(0, count: 4 + 2 * slots))
    align(4)
    let table = bytes.count
    append(Int32(table - vtable))
    // Largest first: the fewest padding bytes.
    let ordered = fields.sorted { ($0.value.size, $1.key) > ($1.value.size, $0.key) }
    var children: [(slot: Int, node: FlatNode)] = []
    for (id, field) in ordered {
      align(field.size)
      patch(vtable + 4 + 2 * id, UInt16(bytes.count - table))
      switch field {
      case .uint8(let value): append(value)
      case .int16(let value): append(value)
      case .int32(let value): append(value)
      case .int64(let value): append(value)
      case .node(let node):
        children.append((bytes.count, node))
        append(UInt32(0))
      }
    }
    patch(vtable, UInt16(4 + 2 * slots))
    patch(vtable + 2, UInt16(bytes.count - table))
    for child in children {
      link(from: child.slot, to: write(child.node))
    }
    return table
  }
}
