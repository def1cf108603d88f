/// A string array's values, looked up by index with every offset checked:
/// `Utf8`/`LargeUtf8` (offsets into one data buffer) or `Utf8View`, whose
/// elements are 16-byte views:
///
/// ```
///   length <= 12:  length: i32 LE | the bytes, zero-padded to 12
///   length  > 12:  length: i32 LE | first 4 bytes | buffer index: i32 LE | offset: i32 LE
/// ```
///
/// where the buffer index counts the array's variadic data buffers.
struct ArrowStringArray {
  enum Layout: Sendable, Equatable {
    case offsets(large: Bool)
    case views
  }

  let layout: Layout
  let length: Int
  /// nil when the array has no nulls.
  private let validity: UnsafeRawBufferPointer?
  /// Offsets, or the views.
  private let slots: UnsafeRawBufferPointer
  /// The one data buffer, or the variadic ones.
  private let data: [UnsafeRawBufferPointer]

  /// The first `length` elements of the array at field node `node` of `view`.
  init(view: ArrowBatchView, node: Int, length: Int, layout: Layout, name: String) throws(PipeError) {
    let first = view.bufferStarts[node]
    self.layout = layout
    self.length = length
    slots = view.buffer(first + 1)
    let needed: Int
    switch layout {
    case .offsets(let large):
      needed = length == 0 ? 0 : (length + 1) * (large ? 8 : 4)
      data = [view.buffer(first + 2)]
    case .views:
      needed = length * 16
      data = (first + 2..<view.bufferStarts[node + 1]).map { view.buffer($0) }
    }
    guard slots.count >= needed else {
      throw PipeError(
        .data,
        "column '\(name)': \(layout == .views ? "views" : "offsets") buffer holds \(slots.count) bytes, \(needed) needed"
      )
    }
    validity = view.node(node).nullCount > 0 ? view.buffer(first) : nil
    if let validity, validity.count < (length + 7) / 8 {
      throw PipeError(.data, "column '\(name)': validity bitmap shorter than its \(length) values")
    }
  }

  func isNull(_ index: Int) -> Bool {
    guard let validity else { return false }
    return validity[index >> 3] & (1 << UInt8(index & 7)) == 0
  }

  /// Element `index`'s bytes, nil when its offsets or view point outside the buffers.
  func bytes(_ index: Int) -> UnsafeRawBufferPointer? {
    switch layout {
    case .offsets(let large):
      let start = large ? Int(load(Int64.self, index * 8)) : Int(load(Int32.self, index * 4))
      let end = large ? Int(load(Int64.self, index * 8 + 8)) : Int(load(Int32.self, index * 4 + 4))
      guard start >= 0, start <= end, end <= data[0].count else { return nil }
      return UnsafeRawBufferPointer(rebasing: data[0][start..<end])
    case .views:
      let view = index * 16
      let count = Int(load(Int32.self, view))
      guard count >= 0 else { return nil }
      if count <= 12 {
        return UnsafeRawBufferPointer(rebasing: slots[view + 4..<view + 4 + count])
      }
      let buffer = Int(load(Int32.self, view + 8))
      let offset = Int(load(Int32.self, view + 12))
      guard buffer >= 0, buffer < data.count, offset >= 0, offset <= data[buffer].count - count else {
        return nil
      }
      return UnsafeRawBufferPointer(rebasing: data[buffer][offset..<offset + count])
    }
  }

  /// Element `index` as a string, nil when it is not valid UTF-8 or lies outside its buffers.
  func string(_ index: Int) -> String? {
    bytes(index).flatMap { String(validating: $0, as: UTF8.self) }
  }

  private func load<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int) -> T {
    T(littleEndian: slots.loadUnaligned(fromByteOffset: offset, as: T.self))
  }
}

/// A column's outermost list level: `List`/`LargeList` (row r spans offsets r
/// to r+1) or `ListView`/`LargeListView` (row r starts at offsets[r] and has
/// sizes[r] elements; rows may overlap and come in any order).
struct ArrowListLevel {
  let large: Bool
  let offsets: UnsafeRawBufferPointer
  /// nil for `List`/`LargeList`.
  let sizes: UnsafeRawBufferPointer?

  /// The level of `rows` rows whose offsets buffer is `first + 1` (and sizes
  /// `first + 2` for a view); also returns how many child elements it needs.
  static func make(
    view: ArrowBatchView, first: Int, rows: Int, large: Bool, isView: Bool, childNode: Int, name: String
  ) throws(PipeError) -> (ArrowListLevel, elements: Int) {
    let width = large ? 8 : 4
    let offsets = view.buffer(first + 1)
    let sizes = isView ? view.buffer(first + 2) : nil
    let needed = isView ? rows * width : (rows + 1) * width
    for (buffer, what) in [(offsets, "offsets"), (sizes, "sizes")] {
      guard let buffer else { continue }
      guard buffer.count >= needed else {
        throw PipeError(
          .data, "column '\(name)': \(what) buffer holds \(buffer.count) bytes, \(needed) needed")
      }
    }
    let level = ArrowListLevel(large: large, offsets: offsets, sizes: sizes)
    // A view's rows may point anywhere in the child array, each row checked when read.
    let elements = isView ? view.node(childNode).length : level.start(rows)
    guard elements >= 0 else { throw PipeError(.data, "column '\(name)': negative list offset \(elements)") }
    return (level, elements)
  }

  /// Index in the child array of row `row`'s first element.
  func start(_ row: Int) -> Int {
    load(offsets, row)
  }

  /// Index in the child array after row `row`'s last element.
  func end(_ row: Int) -> Int {
    guard let sizes else { return load(offsets, row + 1) }
    // Both come from the wire: a sum past Int.max is out of bounds, not a trap.
    let (end, overflow) = load(offsets, row).addingReportingOverflow(load(sizes, row))
    return overflow ? Int.max : end
  }

  private func load(_ buffer: UnsafeRawBufferPointer, _ index: Int) -> Int {
    large
      ? Int(Int64(littleEndian: buffer.loadUnaligned(fromByteOffset: index * 8, as: Int64.self)))
      : Int(Int32(littleEndian: buffer.loadUnaligned(fromByteOffset: index * 4, as: Int32.self)))
  }
}
