/// Reads one planned column of one record batch: checks its arrays against
/// their buffers once, then finds each row's values in the leaf array.
struct ArrowColumnReader {
  let plan: ArrowColumnPlan
  let rows: Int
  /// Leaf values per row.
  let rowElements: Int
  let view: ArrowBatchView
  /// Elements each level's array must hold.
  private let lengths: [Int]
  private let listOffsets: UnsafeRawBufferPointer?
  /// A string column's rows, decoded once by `findProblems` (nil for a row it rejected).
  private(set) var rowStrings: [[String]?] = []

  init(_ plan: ArrowColumnPlan, rowElements: Int, view: ArrowBatchView) throws(PipeError) {
    self.plan = plan
    self.view = view
    self.rowElements = rowElements
    rows = view.header.length
    let top = view.node(plan.nodes[0])
    guard top.length == rows else {
      throw PipeError(.data, "column '\(plan.name)' holds \(top.length) rows in a batch of \(rows)")
    }
    var lengths = [rows]
    var offsets: UnsafeRawBufferPointer?
    for (depth, level) in plan.levels.enumerated() {
      let length = lengths[depth]
      switch level {
      case .fixed(let size):
        lengths.append(length * size)
      case .list where length == 0:
        lengths.append(0)  // an empty array may leave its offsets buffer empty
      case .list(let large):
        let width = large ? 8 : 4
        let buffer = view.buffer(plan.buffers[depth] + 1)
        guard buffer.count >= (length + 1) * width else {
          throw PipeError(
            .data,
            "column '\(plan.name)': offsets buffer holds \(buffer.count) bytes, \((length + 1) * width) needed"
          )
        }
        offsets = buffer
        let last = Self.offset(buffer, large: large, length)
        guard last >= 0 else { throw PipeError(.data, "column '\(plan.name)': negative list offset \(last)") }
        lengths.append(last)
      }
    }
    self.lengths = lengths
    listOffsets = offsets
    for depth in lengths.indices {
      let node = view.node(plan.nodes[depth])
      guard node.length >= lengths[depth] else {
        throw PipeError(
          .data, "column '\(plan.name)': level \(depth) holds \(node.length) values, \(lengths[depth]) needed"
        )
      }
      if node.nullCount > 0 && view.buffer(plan.buffers[depth]).count < (lengths[depth] + 7) / 8 {
        throw PipeError(
          .data, "column '\(plan.name)': validity bitmap shorter than its \(lengths[depth]) values")
      }
    }
    let count = lengths[lengths.count - 1]
    let leafBuffer = plan.buffers[plan.buffers.count - 1]
    let needed: Int
    switch plan.leaf {
    case .values(let element): needed = count * element.byteWidth!
    case .bits: needed = (count + 7) / 8
    case .strings(let large): needed = count == 0 ? 0 : (count + 1) * (large ? 8 : 4)
    }
    guard view.buffer(leafBuffer + 1).count >= needed else {
      throw PipeError(
        .data,
        "column '\(plan.name)': values buffer holds \(view.buffer(leafBuffer + 1).count) bytes, \(needed) needed"
      )
    }
  }

  private static func offset(_ buffer: UnsafeRawBufferPointer, large: Bool, _ index: Int) -> Int {
    large
      ? Int(Int64(littleEndian: buffer.loadUnaligned(fromByteOffset: index * 8, as: Int64.self)))
      : Int(Int32(littleEndian: buffer.loadUnaligned(fromByteOffset: index * 4, as: Int32.self)))
  }

  /// Index in the leaf array of row `row`'s first value.
  func leafStart(_ row: Int) -> Int {
    guard let listOffsets, case .list(let large) = plan.levels[0] else { return row * rowElements }
    return Self.offset(listOffsets, large: large, row) * plan.elementsPerListItem
  }

  /// Whether the rows' values lie back to back in the leaf array from row 0.
  var isContiguous: Bool {
    guard listOffsets != nil else { return true }
    let first = leafStart(0)
    return (0...rows).allSatisfy { leafStart($0) == first + $0 * rowElements }
  }

  /// The leaf's values buffer (numbers, bits, or string offsets).
  var values: UnsafeRawBufferPointer { view.buffer(plan.buffers[plan.buffers.count - 1] + 1) }

  /// Records in `problems` why a row cannot be scored (a null, a list of the
  /// wrong length, a string that is not UTF-8); rows already marked are left.
  /// A null value (not a null list) is `input`'s missing value: left for
  /// `fillNulls` when the input fills it, else refused naming the input.
  mutating func findProblems(_ problems: inout [String?], for input: TextInput? = nil) {
    // Nulls in the column itself first, then list lengths (which bound the
    // ranges read below), then nulls further down.
    findNulls(depth: 0, &problems, input)
    if let listOffsets, case .list(let large) = plan.levels[0] {
      let expected = rowElements / plan.elementsPerListItem
      for row in 0..<rows where problems[row] == nil {
        let start = Self.offset(listOffsets, large: large, row)
        let end = Self.offset(listOffsets, large: large, row + 1)
        if end - start != expected || start < 0 || end > lengths[1] {
          problems[row] =
            "column '\(plan.name)' holds a list of \(end - start) values where \(expected) are needed"
        }
      }
    }
    for depth in lengths.indices.dropFirst() { findNulls(depth: depth, &problems, input) }
    if case .strings = plan.leaf {
      rowStrings = [[String]?](repeating: nil, count: rows)
      for row in 0..<rows where problems[row] == nil {
        rowStrings[row] = strings(row)
        if rowStrings[row] == nil {
          problems[row] =
            "column '\(plan.name)' holds a string that is not valid UTF-8 or lies outside its buffer"
        }
      }
    }
  }

  private func findNulls(depth: Int, _ problems: inout [String?], _ input: TextInput?) {
    guard view.node(plan.nodes[depth]).nullCount > 0 else { return }
    let isLeaf = depth == lengths.count - 1
    if isLeaf, input?.missing.fills == true { return }
    let bits = view.buffer(plan.buffers[depth])
    for row in 0..<rows where problems[row] == nil {
      let range = depth == 0 ? row..<row + 1 : elementRange(depth, row)
      if range.contains(where: { bits[$0 >> 3] & (1 << UInt8($0 & 7)) == 0 }) {
        let what = depth == 0 ? "column '\(plan.name)' is null" : "column '\(plan.name)' holds a null value"
        problems[row] = isLeaf ? input?.missingRefusal(what) ?? what : what
      }
    }
  }

  /// The leaf elements of row `row` at level `depth` (1 or deeper).
  private func elementRange(_ depth: Int, _ row: Int) -> Range<Int> {
    var start = row
    var count = 1
    for level in 0..<depth {
      switch plan.levels[level] {
      case .fixed(let size):
        start *= size
        count *= size
      case .list(let large):
        let first = Self.offset(listOffsets!, large: large, row)
        count = Self.offset(listOffsets!, large: large, row + 1) - first
        start = first
      }
    }
    return start..<max(start, start + count)
  }

  /// Row `row`'s strings, nil when one is not valid UTF-8 or its offsets are corrupt.
  private func strings(_ row: Int) -> [String]? {
    guard case .strings(let large) = plan.leaf else { return nil }
    let offsets = values
    let data = view.buffer(plan.buffers[plan.buffers.count - 1] + 2)
    var result: [String] = []
    result.reserveCapacity(rowElements)
    let first = leafStart(row)
    for index in first..<first + rowElements {
      let start = Self.offset(offsets, large: large, index)
      let end = Self.offset(offsets, large: large, index + 1)
      guard start >= 0, start <= end, end <= data.count,
        let text = String(validating: UnsafeRawBufferPointer(rebasing: data[start..<end]), as: UTF8.self)
      else { return nil }
      result.append(text)
    }
    return result
  }

  /// Leaf value `index` of a `Bool` column.
  func bit(_ index: Int) -> Bool {
    values[index >> 3] & (1 << UInt8(index & 7)) != 0
  }
}
