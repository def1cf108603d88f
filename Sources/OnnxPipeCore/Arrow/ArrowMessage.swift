/// One field node of a record batch: an array's length and null count.
struct ArrowFieldNode: Equatable {
  var length: Int
  var nullCount: Int
}

/// Where one buffer of a record batch lies in the message body.
struct ArrowBufferSpan: Equatable {
  var offset: Int
  var length: Int

  var range: Range<Int> { offset..<offset + length }
}

/// The `RecordBatch` header: rows, one node per array, and the buffers.
struct ArrowRecordBatch: Equatable {
  var length: Int
  var nodes: [ArrowFieldNode]
  var buffers: [ArrowBufferSpan]
  /// The body compression codec's name, when the body is compressed.
  var compression: String?
  /// Data buffers of each view array, in field order (`Message.fbs` `variadicBufferCounts`).
  var variadicBufferCounts: [Int] = []
}

/// One Arrow IPC message's metadata (`format/Message.fbs`).
enum ArrowMessage {
  case schema(ArrowSchema)
  case recordBatch(ArrowRecordBatch, bodyLength: Int)
  case dictionaryBatch(ArrowDictionaryBatch, bodyLength: Int)
  /// A message kind onnxpipe does not read (tensor, sparse tensor), by name.
  case other(String, bodyLength: Int)

  var bodyLength: Int {
    switch self {
    case .schema: 0
    case .recordBatch(_, let length), .dictionaryBatch(_, let length), .other(_, let length): length
    }
  }

  /// MetadataVersion V4 and V5 (1.0 and later) are read; V5 is written.
  static let version: Int16 = 4

  /// Reads the `Message` table in `metadata`.
  static func decode(_ metadata: UnsafeRawBufferPointer) throws(FlatBufferError) -> ArrowMessage {
    let message = try FlatBuffer(metadata).root()
    let version: Int16 = try message.scalar(0, default: 0)
    guard version >= 3 else {
      throw FlatBufferError(
        position: message.position,
        reason:
          "metadata version V\(version + 1) predates Arrow 0.8, which onnxpipe does not read; write the stream with a current Arrow library",
        unsupported: true)
    }
    let headerType: UInt8 = try message.scalar(1, default: 0)
    let bodyLength: Int64 = try message.scalar(3, default: 0)
    guard bodyLength >= 0, bodyLength <= Int64(Int32.max) * 16 else {
      throw FlatBufferError(position: message.position, reason: "body length \(bodyLength)")
    }
    let header = try message.table(2)
    switch headerType {
    case 1:
      guard let header else {
        throw FlatBufferError(position: message.position, reason: "schema message without a schema")
      }
      return .schema(try ArrowSchema(header, version: version))
    case 3:
      guard let header else {
        throw FlatBufferError(position: message.position, reason: "record batch message without a header")
      }
      return .recordBatch(try ArrowRecordBatch(header), bodyLength: Int(bodyLength))
    case 2:
      guard let header else {
        throw FlatBufferError(position: message.position, reason: "dictionary batch message without a header")
      }
      return .dictionaryBatch(try ArrowDictionaryBatch(header), bodyLength: Int(bodyLength))
    case 4: return .other("tensor", bodyLength: Int(bodyLength))
    case 5: return .other("sparse tensor", bodyLength: Int(bodyLength))
    default:
      throw FlatBufferError(position: message.position, reason: "unknown message header type \(headerType)")
    }
  }

  /// A message's framing and metadata: the continuation marker, the metadata
  /// length, then the `Message` table padded so the body starts 8-aligned.
  static func encode(headerType: UInt8, header: FlatNode, bodyLength: Int) -> [UInt8] {
    let metadata = FlatBufferBuilder.build(
      .table([0: .int16(version), 1: .uint8(headerType), 2: .node(header), 3: .int64(Int64(bodyLength))]))
    var out: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
    withUnsafeBytes(of: Int32(metadata.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(contentsOf: metadata)
    return out
  }

  /// The schema message for `schema`.
  static func encode(_ schema: ArrowSchema) -> [UInt8] {
    encode(headerType: 1, header: schema.node, bodyLength: 0)
  }

  /// The end-of-stream marker.
  static let endOfStream: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
}

extension ArrowRecordBatch {
  init(_ table: FlatTable) throws(FlatBufferError) {
    let rows: Int64 = try table.scalar(0, default: 0)
    guard rows >= 0, rows <= Int64(Int32.max) else {
      throw FlatBufferError(position: table.position, reason: "record batch of \(rows) rows")
    }
    length = Int(rows)
    // Both are vectors of structs of two longs; sizes past 32 GiB are refused as corrupt.
    let limit = Int64(Int32.max) * 16
    nodes = try Self.pairs(table, 1).map { (at, length, nulls) throws(FlatBufferError) in
      guard length >= 0, length <= limit, nulls >= 0, nulls <= length else {
        throw FlatBufferError(
          position: at, reason: "field node at byte \(at): length \(length), nulls \(nulls)")
      }
      return ArrowFieldNode(length: Int(length), nullCount: Int(nulls))
    }
    buffers = try Self.pairs(table, 2).map { (at, offset, length) throws(FlatBufferError) in
      guard offset >= 0, length >= 0, offset <= limit, length <= limit else {
        throw FlatBufferError(
          position: at, reason: "buffer at byte \(at): offset \(offset), length \(length)")
      }
      return ArrowBufferSpan(offset: Int(offset), length: Int(length))
    }
    compression = nil
    if let codec = try table.table(3) {
      let id: Int8 = try codec.scalar(0, default: 0)
      compression = id == 0 ? "LZ4_FRAME" : id == 1 ? "ZSTD" : "codec \(id)"
    }
    variadicBufferCounts = []
    if let counts = try table.vector(4, elementSize: 8) {
      for index in 0..<counts.count {
        let at = counts.position(index)
        let count = try counts.buffer.load(at, as: Int64.self)
        guard count >= 0, count <= Int64(buffers.count) else {
          throw FlatBufferError(
            position: at, reason: "variadic buffer count \(count) at byte \(at) for \(buffers.count) buffers")
        }
        variadicBufferCounts.append(Int(count))
      }
    }
  }

  /// Field `id`, a vector of structs of two longs: each element's position and values.
  private static func pairs(_ table: FlatTable, _ id: Int) throws(FlatBufferError) -> [(Int, Int64, Int64)] {
    guard let vector = try table.vector(id, elementSize: 16) else { return [] }
    var pairs: [(Int, Int64, Int64)] = []
    pairs.reserveCapacity(vector.count)
    for index in 0..<vector.count {
      let at = vector.position(index)
      pairs.append(
        (at, try vector.buffer.load(at, as: Int64.self), try vector.buffer.load(at + 8, as: Int64.self)))
    }
    return pairs
  }

  /// The `RecordBatch` table.
  var node: FlatNode {
    func structs(_ pairs: [(Int, Int)]) -> FlatNode {
      var bytes: [UInt8] = []
      bytes.reserveCapacity(pairs.count * 16)
      for (first, second) in pairs {
        withUnsafeBytes(of: Int64(first).littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: Int64(second).littleEndian) { bytes.append(contentsOf: $0) }
      }
      return .structs(bytes, count: pairs.count, alignment: 8)
    }
    var table: [Int: FlatField] = [
      0: .int64(Int64(length)),
      1: .node(structs(nodes.map { ($0.length, $0.nullCount) })),
      2: .node(structs(buffers.map { ($0.offset, $0.length) })),
    ]
    if !variadicBufferCounts.isEmpty {
      var bytes: [UInt8] = []
      for count in variadicBufferCounts {
        withUnsafeBytes(of: Int64(count).littleEndian) { bytes.append(contentsOf: $0) }
      }
      table[4] = .node(.structs(bytes, count: variadicBufferCounts.count, alignment: 8))
    }
    return .table(table)
  }
}
