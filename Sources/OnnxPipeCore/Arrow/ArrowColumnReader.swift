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
  private let list: ArrowListLevel?
  /// A string column's values (its own, or its dictionary's).
  private let strings: ArrowStringValues?
  /// A dictionary-encoded column's dictionary.
  let dictionary: ArrowDictionaryValues?
  /// A string column's rows, decoded once by `findProblems` (nil for a row it rejected).
  private(set) var rowStrings: [[String]?] = []
  /// Rows of a list column may hold any positive multiple of `rowElements`
  /// values (an input dimension sized by each row); see `leafCount`.
  var variableRows = false

  /// - Parameter dictionaries: the stream's dictionaries as of this batch, for a dictionary-encoded column.
  init(
    _ plan: ArrowColumnPlan, rowElements: Int, view: ArrowBatchView, dictionaries: ArrowDictionaries? = nil
  )
    throws(PipeError)
  {
    self.plan = plan
    self.view = view
    self.rowElements = rowElements
    rows = view.header.length
    let top = view.node(plan.nodes[0])
    guard top.length == rows else {
      throw PipeError(.data, "column '\(plan.name)' holds \(top.length) rows in a batch of \(rows)")
    }
    var lengths = [rows]
    var list: ArrowListLevel?
    for (depth, level) in plan.levels.enumerated() {
      let length = lengths[depth]
      switch level {
      case .fixed(let size):
        lengths.append(length * size)
      case .list where length == 0, .listView where length == 0:
        lengths.append(0)  // an empty array may leave its offsets buffer empty
      case .list(let large), .listView(let large):
        let (level, elements) = try ArrowListLevel.make(
          view: view, first: plan.buffers[depth], rows: length, large: large,
          isView: level != .list(large: large),
          childNode: plan.nodes[depth + 1], name: plan.name)
        list = level
        lengths.append(elements)
      }
    }
    self.lengths = lengths
    self.list = list
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
    (strings, dictionary) = try ArrowStringValues.make(
      plan, count: count, view: view, dictionaries: dictionaries)
    let needed: Int
    switch plan.leaf {
    case .values(let element): needed = count * element.byteWidth!
    case .bits: needed = (count + 7) / 8
    case .strings(let large): needed = count == 0 ? 0 : (count + 1) * (large ? 8 : 4)
    case .stringViews: needed = count * 16
    case .dictionary(_, let index, _): needed = count * index.byteWidth!
    }
    guard view.buffer(leafBuffer + 1).count >= needed else {
      throw PipeError(
        .data,
        "column '\(plan.name)': values buffer holds \(view.buffer(leafBuffer + 1).count) bytes, \(needed) needed"
      )
    }
  }

  /// Leaf values in row `row` (`rowElements` but for a list column's own length).
  func leafCount(_ row: Int) -> Int {
    guard let list else { return rowElements }
    return (list.end(row) - list.start(row)) * plan.elementsPerListItem
  }

  /// Index in the leaf array of row `row`'s first value.
  func leafStart(_ row: Int) -> Int {
    guard let list else { return row * rowElements }
    return list.start(row) * plan.elementsPerListItem
  }

  /// Whether the rows' values lie back to back in the leaf array from row 0
  /// (each row's length was checked by `findProblems`).
  var isContiguous: Bool {
    guard list != nil else { return true }
    let first = leafStart(0)
    return (0..<rows).allSatisfy { leafStart($0) == first + $0 * rowElements }
  }

  /// The leaf's values buffer (numbers, bits, or string offsets).
  var values: UnsafeRawBufferPointer { view.buffer(plan.buffers[plan.buffers.count - 1] + 1) }

  /// Records in `problems` why a row cannot be scored (a null, a list of the
  /// wrong length, a string that is not UTF-8); rows already marked are left.
  /// A null value (not a null list) is `input`'s missing value: left for
  /// `fillNulls` when the input fills it, else refused naming the input.
  mutating func findProblems(_ problems: inout [String?], for input: InputRow? = nil) {
    // Nulls in the column itself first, then list lengths (which bound the
    // ranges read below), then nulls further down.
    findNulls(depth: 0, &problems, input)
    if let list {
      let expected = rowElements / plan.elementsPerListItem
      for row in 0..<rows where problems[row] == nil {
        let start = list.start(row)
        let end = list.end(row)
        // Bounds first: offsets from the wire could overflow `end - start`.
        if start < 0 || end > lengths[1] || end < start {
          problems[row] = "column '\(plan.name)' holds a list outside its values (offset \(start))"
        } else if variableRows ? (end == start || (end - start) % expected != 0) : end - start != expected {
          problems[row] =
            "column '\(plan.name)' holds a list of \(end - start) values where \(expected) are needed"
        }
      }
    }
    for depth in lengths.indices.dropFirst() { findNulls(depth: depth, &problems, input) }
    // A null element is not read: its slot may hold anything (pandas writes index -1).
    let (nulls, reader) = (leafHasNulls, self)
    if let dictionary, !dictionary.holdsStrings {
      let indices = values
      for row in 0..<rows where problems[row] == nil {
        let first = leafStart(row)
        if let problem = (first..<first + rowElements).lazy.filter({ !(nulls && reader.isNullLeaf($0)) })
          .compactMap({ dictionary.problem(indices, $0) }).first
        {
          problems[row] = "column '\(plan.name)' \(problem)"
        }
      }
    }
    if let strings {
      rowStrings = [[String]?](repeating: nil, count: rows)
      for row in 0..<rows where problems[row] == nil {
        let nulls = leafHasNulls
        switch strings.row(
          leafStart(row), count: rowElements, indices: values, isNull: { nulls && isNullLeaf($0) })
        {
        case .success(let texts): rowStrings[row] = texts
        case .failure(let problem): problems[row] = "column '\(plan.name)' \(problem.reason)"
        }
      }
    }
  }

  private func findNulls(depth: Int, _ problems: inout [String?], _ input: InputRow?) {
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
      case .list, .listView:
        start = list!.start(row)
        count = list!.end(row) - start
      }
    }
    return start..<max(start, start + count)
  }

  /// Leaf value `index` of a `Bool` column.
  func bit(_ index: Int) -> Bool {
    values[index >> 3] & (1 << UInt8(index & 7)) != 0
  }
}
