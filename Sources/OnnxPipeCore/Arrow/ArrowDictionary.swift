/// How a field is dictionary-encoded (`Schema.fbs` `DictionaryEncoding`): its
/// record batch arrays hold indices of `indexType` into dictionary `id`, whose
/// values (of the field's `type`) come in `DictionaryBatch` messages.
public struct ArrowDictionaryEncoding: Sendable, Equatable {
  public var id: Int64
  /// Always an `.int` type; signed int32 when the stream leaves it out.
  public var indexType: ArrowType
  public var isOrdered: Bool

  public init(id: Int64, indexType: ArrowType, isOrdered: Bool = false) {
    self.id = id
    self.indexType = indexType
    self.isOrdered = isOrdered
  }

  init(_ table: FlatTable) throws(FlatBufferError) {
    id = try table.scalar(0, default: Int64(0))
    indexType = .int(bitWidth: 32, signed: true)
    if let index = try table.table(1) { indexType = try ArrowType.read(typeID: 2, index) }
    isOrdered = try table.bool(2)
    let kind: Int16 = try table.scalar(3, default: 0)
    guard kind == 0 else {
      throw FlatBufferError(
        position: table.position,
        reason:
          "dictionary kind \(kind) (only DenseArray is defined); decode the column before writing the stream",
        unsupported: true)
    }
  }

  /// The `DictionaryEncoding` table.
  var node: FlatNode {
    .table([0: .int64(id), 1: .node(indexType.table), 2: .bool(isOrdered)])
  }
}

/// A `DictionaryBatch` header: the values of dictionary `id` as a record batch
/// of one column, which replace the dictionary or, if `isDelta`, extend it.
struct ArrowDictionaryBatch: Equatable {
  var id: Int64
  var data: ArrowRecordBatch
  var isDelta: Bool

  init(id: Int64, data: ArrowRecordBatch, isDelta: Bool) {
    self.id = id
    self.data = data
    self.isDelta = isDelta
  }

  init(_ table: FlatTable) throws(FlatBufferError) {
    id = try table.scalar(0, default: Int64(0))
    guard let data = try table.table(1) else {
      throw FlatBufferError(
        position: table.position, reason: "dictionary batch \(id) without its record batch")
    }
    self.data = try ArrowRecordBatch(data)
    isDelta = try table.bool(2)
  }

  /// The `DictionaryBatch` table.
  var node: FlatNode {
    .table([0: .int64(id), 1: .node(data.node), 2: .bool(isDelta)])
  }
}

extension ArrowSchema {
  /// Each dictionary's values as its dictionary batches hold them (a field
  /// without the encoding), by id: from the columns, their children, and the
  /// values of other dictionaries (nested dictionaries). Fields sharing an id
  /// must agree on the values' type.
  func dictionaryValueFields() throws(FlatBufferError) -> [Int64: ArrowField] {
    var found: [Int64: (field: ArrowField, column: String)] = [:]
    var pending = fields.map { ($0, $0.name) }
    while let (field, column) = pending.popLast() {
      pending += field.children.map { ($0, column) }
      guard let encoding = field.dictionary else { continue }
      var values = field
      values.dictionary = nil
      if let seen = found[encoding.id] {
        guard seen.field.sameLayout(as: values) else {
          throw FlatBufferError(
            position: 0,
            reason:
              "columns '\(seen.column)' and '\(column)' share dictionary \(encoding.id) with values of different types"
          )
        }
        continue
      }
      found[encoding.id] = (values, column)
    }
    return found.mapValues(\.field)
  }
}

extension ArrowField {
  /// Same types all the way down (names, nullability and metadata aside).
  fileprivate func sameLayout(as other: ArrowField) -> Bool {
    type == other.type && dictionary == other.dictionary && children.count == other.children.count
      && zip(children, other.children).allSatisfy { $0.sameLayout(as: $1) }
  }
}

/// One dictionary batch as read, with its bytes and checked header; shared by
/// every record batch after it until the dictionary is replaced.
///
/// `@unchecked Sendable`: `storage` is written in `init` only, read after, and
/// freed in `deinit`, when no batch or reader holds the chunk any more.
final class ArrowDictionaryChunk: @unchecked Sendable {
  let id: Int64
  let isDelta: Bool
  /// "arrow message 3 (byte 1200)".
  let origin: String
  /// Its values: the record batch's one array (node 0) and the nodes below it.
  let view: ArrowBatchView
  let layout: ArrowArrayLayout
  private let storage: UnsafeMutableRawBufferPointer

  /// Entries it holds (the record batch's length).
  var count: Int { view.header.length }

  init(_ message: ArrowStreamMessage, batch: ArrowDictionaryBatch, layout: ArrowArrayLayout) throws(PipeError)
  {
    // Checked over the message's own bytes first, so that a bad batch allocates nothing
    // (a throw once every property is set would run deinit).
    let checked = message.bytes.withUnsafeBytes { raw -> Result<Void, PipeError> in
      do throws(PipeError) {
        let view = try ArrowBatchView(
          header: batch.data, body: UnsafeRawBufferPointer(rebasing: raw[message.bodyOffset...]),
          layout: layout)
        guard view.node(0).length == batch.data.length else {
          throw PipeError(.data, "holds \(view.node(0).length) values in a batch of \(batch.data.length)")
        }
        return .success(())
      } catch {
        return .failure(error)
      }
    }
    if case .failure(let error) = checked {
      throw PipeError(error.kind, "\(message.origin): dictionary \(batch.id): \(error.message)")
    }
    id = batch.id
    isDelta = batch.isDelta
    origin = message.origin
    self.layout = layout
    let body = message.bytes.count - message.bodyOffset
    storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(body, 1), alignment: 16)
    let bytes = UnsafeMutableRawBufferPointer(rebasing: storage[..<body])
    message.bytes.withUnsafeBytes {
      bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[message.bodyOffset...]))
    }
    do {
      view = try ArrowBatchView(header: batch.data, body: UnsafeRawBufferPointer(bytes), layout: layout)
    } catch {
      preconditionFailure("dictionary \(batch.id) was checked over the same bytes: \(error.message)")
    }
  }

  deinit { storage.deallocate() }
}

/// The dictionaries of an Arrow stream as they stand at one record batch,
/// handed to the worker that scores it.
public struct ArrowDictionaries: Sendable {
  /// Each dictionary's batches: the last full one, then the deltas after it.
  var entries: [Int64: [ArrowDictionaryChunk]] = [:]
  /// The dictionary batches read since the previous record batch, in stream
  /// order: `--keep` writes them again before this batch.
  var fresh: [ArrowDictionaryChunk] = []

  public init() {}
}

/// Follows a stream's dictionary batches on the reader thread: a full batch
/// replaces its dictionary, a delta extends it, and each record batch gets the
/// dictionaries as they stand when it is read.
struct ArrowDictionaryTracker {
  private let layouts: [Int64: ArrowArrayLayout]
  private var current = ArrowDictionaries()

  init(schema: ArrowSchema) {
    // The schema's dictionaries were checked when it was read.
    let fields = (try? schema.dictionaryValueFields()) ?? [:]
    layouts = fields.mapValues { ArrowArrayLayout(fields: [$0], version: schema.version) }
  }

  /// Whether the schema has dictionary-encoded fields at all.
  var isEmpty: Bool { layouts.isEmpty }

  /// Takes in a dictionary batch message.
  mutating func add(_ message: ArrowStreamMessage) throws(PipeError) {
    guard case .dictionaryBatch(let batch, _) = message.message else {
      preconditionFailure("\(message.origin) is not a dictionary batch")
    }
    guard let layout = layouts[batch.id] else {
      throw PipeError(
        .data,
        "\(message.origin): a dictionary batch for dictionary \(batch.id), which no field of the schema uses")
    }
    let chunk = try ArrowDictionaryChunk(message, batch: batch, layout: layout)
    if batch.isDelta {
      guard current.entries[batch.id] != nil else {
        throw PipeError(
          .data, "\(message.origin): a delta for dictionary \(batch.id) before any dictionary batch for it")
      }
      current.entries[batch.id]!.append(chunk)
    } else {
      current.entries[batch.id] = [chunk]
    }
    current.fresh.append(chunk)
  }

  /// The dictionaries for the record batch read next.
  mutating func take() -> ArrowDictionaries {
    defer { current.fresh = [] }
    return current
  }
}
