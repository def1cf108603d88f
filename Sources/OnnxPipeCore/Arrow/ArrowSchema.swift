/// One key and value of Arrow custom metadata, kept in order.
public struct ArrowKeyValue: Sendable, Equatable {
  public var key: String
  public var value: String

  public init(_ key: String, _ value: String) {
    self.key = key
    self.value = value
  }
}

/// A field (column, or a child of a nested column) of an Arrow schema.
public struct ArrowField: Sendable, Equatable {
  public var name: String
  public var nullable: Bool
  public var type: ArrowType
  public var children: [ArrowField]
  public var metadata: [ArrowKeyValue]
  /// Set when the column holds indices into a dictionary whose values are of `type` (with `children`).
  public var dictionary: ArrowDictionaryEncoding?

  public init(
    name: String, nullable: Bool, type: ArrowType, children: [ArrowField] = [],
    metadata: [ArrowKeyValue] = [],
    dictionary: ArrowDictionaryEncoding? = nil
  ) {
    self.name = name
    self.nullable = nullable
    self.type = type
    self.children = children
    self.metadata = metadata
    self.dictionary = dictionary
  }

  /// Field nodes this field takes in a record batch: its own and its descendants'
  /// (a dictionary-encoded field's values are in dictionary batches).
  var nodeCount: Int {
    dictionary != nil ? 1 : children.reduce(1) { $0 + $1.nodeCount }
  }
}

/// An Arrow schema: the fields of every record batch in a stream.
public struct ArrowSchema: Sendable, Equatable {
  public var fields: [ArrowField]
  public var metadata: [ArrowKeyValue]
  /// The `MetadataVersion` the stream was written with (3 is V4, 4 is V5); V4 lays unions out differently.
  var version: Int16 = ArrowMessage.version

  public init(fields: [ArrowField], metadata: [ArrowKeyValue] = []) {
    self.fields = fields
    self.metadata = metadata
  }

  /// Where the arrays of each record batch find their buffers.
  var layout: ArrowArrayLayout { ArrowArrayLayout(fields: fields, version: version) }
}

// MARK: - Reading

extension ArrowSchema {
  /// Nested fields deeper than this are refused (a corrupt stream could nest without end).
  static let maxDepth = 32

  /// Reads a `Schema` table from a message of metadata `version`.
  init(_ table: FlatTable, version: Int16) throws(FlatBufferError) {
    self.version = version
    if try table.scalar(0, default: Int16(0)) != 0 {
      throw FlatBufferError(
        position: table.position,
        reason:
          "the stream is big-endian, which onnxpipe does not read; write it again little-endian (pyarrow reads it as native-endian: pa.ipc.open_stream, then pa.ipc.new_stream)",
        unsupported: true)
    }
    fields = []
    if let vector = try table.vector(1, elementSize: 4) {
      for index in 0..<vector.count {
        fields.append(try ArrowField(try vector.table(index), depth: 1))
      }
    }
    metadata = try readMetadata(table, 2)
    _ = try dictionaryValueFields()
  }
}

extension ArrowField {
  init(_ table: FlatTable, depth: Int) throws(FlatBufferError) {
    guard depth <= ArrowSchema.maxDepth else {
      throw FlatBufferError(
        position: table.position, reason: "fields nested more than \(ArrowSchema.maxDepth) deep")
    }
    name = try table.string(0) ?? ""
    nullable = try table.bool(1)
    let typeID: UInt8 = try table.scalar(2, default: 0)
    do {
      type = try ArrowType.read(typeID: typeID, try table.table(3))
    } catch {
      throw FlatBufferError(
        position: error.position, reason: "column '\(name)': \(error.reason)", unsupported: error.unsupported)
    }
    dictionary = nil
    if let encoding = try table.table(4) {
      do {
        dictionary = try ArrowDictionaryEncoding(encoding)
      } catch {
        throw FlatBufferError(
          position: error.position, reason: "column '\(name)': \(error.reason)",
          unsupported: error.unsupported)
      }
    }
    children = []
    if let vector = try table.vector(5, elementSize: 4) {
      for index in 0..<vector.count {
        children.append(try ArrowField(try vector.table(index), depth: depth + 1))
      }
    }
    metadata = try readMetadata(table, 6)
    try checkChildren()
  }

  /// Nested types need their children, so that buffers can be counted.
  private func checkChildren() throws(FlatBufferError) {
    let expected: Int?
    switch type {
    case .list, .largeList, .fixedSizeList, .map, .listView, .largeListView: expected = 1
    case .runEndEncoded: expected = 2
    case .structure, .union: expected = nil
    default: expected = 0
    }
    if let expected, children.count != expected {
      throw FlatBufferError(
        position: 0, reason: "column '\(name)' of type \(type.name) has \(children.count) children")
    }
  }
}

private func readMetadata(_ table: FlatTable, _ id: Int) throws(FlatBufferError) -> [ArrowKeyValue] {
  guard let vector = try table.vector(id, elementSize: 4) else { return [] }
  var pairs: [ArrowKeyValue] = []
  for index in 0..<vector.count {
    let entry = try vector.table(index)
    pairs.append(ArrowKeyValue(try entry.string(0) ?? "", try entry.string(1) ?? ""))
  }
  return pairs
}

// MARK: - Writing

extension ArrowSchema {
  /// The `Schema` table.
  var node: FlatNode {
    var table: [Int: FlatField] = [1: .node(.vector(fields.map(\.node)))]
    if !metadata.isEmpty { table[2] = .node(metadataNode(metadata)) }
    return .table(table)
  }
}

extension ArrowField {
  var node: FlatNode {
    var table: [Int: FlatField] = [
      0: .node(.string(name)), 1: .bool(nullable), 2: .uint8(type.typeID), 3: .node(type.table),
      5: .node(.vector(children.map(\.node))),
    ]
    if let dictionary { table[4] = .node(dictionary.node) }
    if !metadata.isEmpty { table[6] = .node(metadataNode(metadata)) }
    return .table(table)
  }
}

private func metadataNode(_ pairs: [ArrowKeyValue]) -> FlatNode {
  .vector(pairs.map { .table([0: .node(.string($0.key)), 1: .node(.string($0.value))]) })
}
