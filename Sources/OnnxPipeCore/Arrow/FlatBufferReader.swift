/// A FlatBuffers buffer that could not be read: what was wrong and where.
struct FlatBufferError: Error, Equatable {
  /// Byte position in the buffer.
  let position: Int
  let reason: String
  /// The metadata is valid but asks for something onnxpipe does not read (a
  /// big-endian stream, an unknown type): the message must not call it corrupt.
  var unsupported = false
}

/// A bounds-checked view of one FlatBuffers buffer (the metadata of an Arrow
/// IPC message).
///
/// Every load checks its range first, so a corrupt offset ends in a
/// `FlatBufferError` naming the byte, never in an over-read. Offsets to tables,
/// strings and vectors are unsigned and point forward, so a walk cannot loop;
/// `maxDepth` bounds how deep nested tables may go.
struct FlatBuffer {
  let bytes: UnsafeRawBufferPointer

  init(_ bytes: UnsafeRawBufferPointer) {
    self.bytes = bytes
  }

  /// The root table, found through the offset at byte 0.
  func root() throws(FlatBufferError) -> FlatTable {
    try table(at: try follow(0))
  }

  /// The little-endian integer at `position`.
  func load<T: FixedWidthInteger>(_ position: Int, as type: T.Type) throws(FlatBufferError) -> T {
    guard position >= 0, position <= bytes.count - MemoryLayout<T>.size else {
      throw FlatBufferError(
        position: position,
        reason:
          "\(MemoryLayout<T>.size)-byte field at byte \(position) outside the \(bytes.count)-byte metadata")
    }
    return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
  }

  /// The position an unsigned offset stored at `position` points to.
  func follow(_ position: Int) throws(FlatBufferError) -> Int {
    let target = position + Int(try load(position, as: UInt32.self))
    guard target < bytes.count else {
      throw FlatBufferError(
        position: position, reason: "offset at byte \(position) points to byte \(target), past the metadata")
    }
    return target
  }

  /// The table starting at `position`.
  func table(at position: Int) throws(FlatBufferError) -> FlatTable {
    let vtable = position - Int(try load(position, as: Int32.self))
    guard vtable >= 0, vtable <= bytes.count - 4 else {
      throw FlatBufferError(
        position: position, reason: "table at byte \(position) has its vtable outside the metadata")
    }
    let vtableSize = Int(try load(vtable, as: UInt16.self))
    let tableSize = Int(try load(vtable + 2, as: UInt16.self))
    guard vtableSize >= 4, vtableSize % 2 == 0, vtable + vtableSize <= bytes.count,
      tableSize >= 4, position + tableSize <= bytes.count
    else {
      throw FlatBufferError(position: position, reason: "table at byte \(position) has a corrupt vtable")
    }
    return FlatTable(
      buffer: self, position: position, vtable: vtable, vtableSize: vtableSize, tableSize: tableSize)
  }
}

/// One table in a `FlatBuffer`; fields are addressed by their id in the schema.
struct FlatTable {
  let buffer: FlatBuffer
  let position: Int
  private let vtable: Int
  private let vtableSize: Int
  private let tableSize: Int

  fileprivate init(buffer: FlatBuffer, position: Int, vtable: Int, vtableSize: Int, tableSize: Int) {
    self.buffer = buffer
    self.position = position
    self.vtable = vtable
    self.vtableSize = vtableSize
    self.tableSize = tableSize
  }

  /// Where field `id` is stored, or nil when the table leaves it out.
  func fieldPosition(_ id: Int) throws(FlatBufferError) -> Int? {
    let entry = 4 + 2 * id
    guard entry + 2 <= vtableSize else { return nil }
    let offset = Int(try buffer.load(vtable + entry, as: UInt16.self))
    guard offset != 0 else { return nil }
    guard offset < tableSize else {
      throw FlatBufferError(
        position: vtable + entry, reason: "field \(id) of the table at byte \(position) lies outside it")
    }
    return position + offset
  }

  func scalar<T: FixedWidthInteger>(_ id: Int, default value: T) throws(FlatBufferError) -> T {
    guard let at = try fieldPosition(id) else { return value }
    return try buffer.load(at, as: T.self)
  }

  func bool(_ id: Int, default value: Bool = false) throws(FlatBufferError) -> Bool {
    try scalar(id, default: UInt8(value ? 1 : 0)) != 0
  }

  func table(_ id: Int) throws(FlatBufferError) -> FlatTable? {
    guard let at = try fieldPosition(id) else { return nil }
    return try buffer.table(at: try buffer.follow(at))
  }

  func string(_ id: Int) throws(FlatBufferError) -> String? {
    guard let at = try fieldPosition(id) else { return nil }
    return try FlatVector(buffer: buffer, at: try buffer.follow(at), elementSize: 1).string()
  }

  /// The vector in field `id`, whose elements are `elementSize` bytes each
  /// (4 for tables and strings, which are stored as offsets).
  func vector(_ id: Int, elementSize: Int) throws(FlatBufferError) -> FlatVector? {
    guard let at = try fieldPosition(id) else { return nil }
    return try FlatVector(buffer: buffer, at: try buffer.follow(at), elementSize: elementSize)
  }
}

/// A vector in a `FlatBuffer`: a 32-bit count, then the elements.
struct FlatVector {
  let buffer: FlatBuffer
  /// Position of the first element.
  let start: Int
  let count: Int
  let elementSize: Int

  fileprivate init(buffer: FlatBuffer, at position: Int, elementSize: Int) throws(FlatBufferError) {
    let count = Int(try buffer.load(position, as: UInt32.self))
    guard count <= (buffer.bytes.count - position - 4) / elementSize else {
      throw FlatBufferError(
        position: position, reason: "vector at byte \(position) of \(count) elements runs past the metadata")
    }
    self.buffer = buffer
    self.start = position + 4
    self.count = count
    self.elementSize = elementSize
  }

  /// Position of element `index`.
  func position(_ index: Int) -> Int {
    start + index * elementSize
  }

  /// Element `index` of a vector of tables.
  func table(_ index: Int) throws(FlatBufferError) -> FlatTable {
    try buffer.table(at: try buffer.follow(position(index)))
  }

  /// Element `index` of a vector of strings.
  func string(_ index: Int) throws(FlatBufferError) -> String {
    try FlatVector(buffer: buffer, at: try buffer.follow(position(index)), elementSize: 1).string()
  }

  /// The bytes of a string, which FlatBuffers stores as a vector of bytes.
  fileprivate func string() throws(FlatBufferError) -> String {
    let bytes = UnsafeRawBufferPointer(rebasing: buffer.bytes[start..<start + count])
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw FlatBufferError(position: start - 4, reason: "string at byte \(start - 4) is not valid UTF-8")
    }
    return text
  }
}
