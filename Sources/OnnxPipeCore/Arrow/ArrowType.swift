/// An Arrow data type as the IPC schema spells it (`format/Schema.fbs`, union
/// `Type`): each case is one union member with its parameters, so a field read
/// from one stream can be written into another unchanged.
public indirect enum ArrowType: Sendable, Equatable {
  case null
  case int(bitWidth: Int32, signed: Bool)
  /// 0 half, 1 single, 2 double.
  case floatingPoint(precision: Int16)
  case binary
  case utf8
  case bool
  case decimal(precision: Int32, scale: Int32, bitWidth: Int32)
  case date(unit: Int16)
  case time(unit: Int16, bitWidth: Int32)
  case timestamp(unit: Int16, timezone: String?)
  case interval(unit: Int16)
  case list
  case structure
  case union(mode: Int16, typeIDs: [Int32]?)
  case fixedSizeBinary(byteWidth: Int32)
  case fixedSizeList(size: Int32)
  case map(keysSorted: Bool)
  case duration(unit: Int16)
  case largeBinary
  case largeUtf8
  case largeList
  case runEndEncoded
  /// Strings as 16-byte views: short ones inline, long ones in variadic data buffers.
  case binaryView
  case utf8View
  /// A list as offsets and sizes, in any order (`large`: 64-bit).
  case listView
  case largeListView

  /// The union member's id in `Type`.
  var typeID: UInt8 {
    switch self {
    case .null: 1
    case .int: 2
    case .floatingPoint: 3
    case .binary: 4
    case .utf8: 5
    case .bool: 6
    case .decimal: 7
    case .date: 8
    case .time: 9
    case .timestamp: 10
    case .interval: 11
    case .list: 12
    case .structure: 13
    case .union: 14
    case .fixedSizeBinary: 15
    case .fixedSizeList: 16
    case .map: 17
    case .duration: 18
    case .largeBinary: 19
    case .largeUtf8: 20
    case .largeList: 21
    case .runEndEncoded: 22
    case .binaryView: 23
    case .utf8View: 24
    case .listView: 25
    case .largeListView: 26
    }
  }

  /// Buffers one array of this type owns in a record batch (its children's not
  /// counted), as metadata V5 lays them out; a view array adds its variadic data
  /// buffers, which each record batch counts (`variadicBufferCounts`).
  var bufferCount: Int {
    switch self {
    case .null, .runEndEncoded: 0
    case .structure, .fixedSizeList: 1
    case .union(let mode, _): mode == 0 ? 1 : 2
    case .binary, .utf8, .largeBinary, .largeUtf8, .listView, .largeListView: 3
    default: 2
    }
  }

  /// Whether arrays of this type have variadic data buffers after their fixed ones.
  var hasVariadicBuffers: Bool { self == .binaryView || self == .utf8View }

  /// The element type of a tensor this column can feed, for the numeric types.
  var element: ElementType? {
    switch self {
    case .bool: .bool
    case .int(8, true): .int8
    case .int(16, true): .int16
    case .int(32, true): .int32
    case .int(64, true): .int64
    case .int(8, false): .uint8
    case .int(16, false): .uint16
    case .int(32, false): .uint32
    case .int(64, false): .uint64
    case .floatingPoint(0): .float16
    case .floatingPoint(1): .float32
    case .floatingPoint(2): .float64
    default: nil
    }
  }

  /// The Arrow type of a tensor element, nil when Arrow has none (bfloat16).
  init?(_ element: ElementType) {
    switch element {
    case .bool: self = .bool
    case .int8: self = .int(bitWidth: 8, signed: true)
    case .int16: self = .int(bitWidth: 16, signed: true)
    case .int32: self = .int(bitWidth: 32, signed: true)
    case .int64: self = .int(bitWidth: 64, signed: true)
    case .uint8: self = .int(bitWidth: 8, signed: false)
    case .uint16: self = .int(bitWidth: 16, signed: false)
    case .uint32: self = .int(bitWidth: 32, signed: false)
    case .uint64: self = .int(bitWidth: 64, signed: false)
    case .float16: self = .floatingPoint(precision: 0)
    case .float32: self = .floatingPoint(precision: 1)
    case .float64: self = .floatingPoint(precision: 2)
    case .string: self = .utf8
    case .bfloat16: return nil
    }
  }

  /// A short name for messages: `float32`, `fixed_size_list[32]`, `utf8`.
  public var name: String {
    if let element, self != .bool { return element.rawValue }
    switch self {
    case .null: return "null"
    case .bool: return "bool"
    case .binary: return "binary"
    case .utf8: return "utf8"
    case .largeBinary: return "large_binary"
    case .largeUtf8: return "large_utf8"
    case .decimal: return "decimal"
    case .date: return "date"
    case .time: return "time"
    case .timestamp: return "timestamp"
    case .interval: return "interval"
    case .duration: return "duration"
    case .list: return "list"
    case .largeList: return "large_list"
    case .structure: return "struct"
    case .union: return "union"
    case .map: return "map"
    case .fixedSizeBinary(let width): return "fixed_size_binary[\(width)]"
    case .fixedSizeList(let size): return "fixed_size_list[\(size)]"
    case .runEndEncoded: return "run_end_encoded"
    case .binaryView: return "binary_view"
    case .utf8View: return "utf8_view"
    case .listView: return "list_view"
    case .largeListView: return "large_list_view"
    default: return "type \(typeID)"
    }
  }
}

extension ArrowType {
  /// Reads the union member `typeID` from its table (nil table: all defaults).
  static func read(typeID: UInt8, _ table: FlatTable?) throws(FlatBufferError) -> ArrowType {
    func scalar<T: FixedWidthInteger>(_ id: Int, _ value: T) throws(FlatBufferError) -> T {
      try table?.scalar(id, default: value) ?? value
    }
    switch typeID {
    case 1: return .null
    case 2:
      let width: Int32 = try scalar(0, 0)
      guard [8, 16, 32, 64].contains(width) else {
        throw FlatBufferError(position: table?.position ?? 0, reason: "Int of bit width \(width)")
      }
      return .int(bitWidth: width, signed: try table?.bool(1) ?? false)
    case 3:
      let precision: Int16 = try scalar(0, 0)
      guard (0...2).contains(precision) else {
        throw FlatBufferError(
          position: table?.position ?? 0, reason: "FloatingPoint of precision \(precision)")
      }
      return .floatingPoint(precision: precision)
    case 4: return .binary
    case 5: return .utf8
    case 6: return .bool
    case 7:
      return .decimal(precision: try scalar(0, 0), scale: try scalar(1, 0), bitWidth: try scalar(2, 128))
    case 8: return .date(unit: try scalar(0, 1))
    case 9: return .time(unit: try scalar(0, 1), bitWidth: try scalar(1, 32))
    case 10: return .timestamp(unit: try scalar(0, 0), timezone: try table?.string(1))
    case 11: return .interval(unit: try scalar(0, 0))
    case 12: return .list
    case 13: return .structure
    case 14:
      var ids: [Int32]?
      if let vector = try table?.vector(1, elementSize: 4) {
        ids = []
        for index in 0..<vector.count {
          ids!.append(try vector.buffer.load(vector.position(index), as: Int32.self))
        }
      }
      return .union(mode: try scalar(0, 0), typeIDs: ids)
    case 15: return .fixedSizeBinary(byteWidth: try scalar(0, 0))
    case 16:
      let size: Int32 = try scalar(0, 0)
      guard size >= 0 else {
        throw FlatBufferError(position: table?.position ?? 0, reason: "FixedSizeList of size \(size)")
      }
      return .fixedSizeList(size: size)
    case 17: return .map(keysSorted: try table?.bool(0) ?? false)
    case 18: return .duration(unit: try scalar(0, 1))
    case 19: return .largeBinary
    case 20: return .largeUtf8
    case 21: return .largeList
    case 22: return .runEndEncoded
    case 23: return .binaryView
    case 24: return .utf8View
    case 25: return .listView
    case 26: return .largeListView
    default:
      // Schema.fbs grows its Type union with new Arrow releases: a newer type, or a corrupt byte.
      throw FlatBufferError(
        position: table?.position ?? 0,
        reason:
          "unknown type id \(typeID) (a type newer than this onnxpipe knows, or a corrupt stream); cast the column to a known type or leave it out",
        unsupported: true)
    }
  }

  /// The union member's table, to write.
  var table: FlatNode {
    var fields: [Int: FlatField] = [:]
    switch self {
    case .int(let width, let signed):
      fields = [0: .int32(width), 1: .bool(signed)]
    case .floatingPoint(let precision): fields = [0: .int16(precision)]
    case .decimal(let precision, let scale, let width):
      fields = [0: .int32(precision), 1: .int32(scale), 2: .int32(width)]
    case .date(let unit), .interval(let unit), .duration(let unit): fields = [0: .int16(unit)]
    case .time(let unit, let width): fields = [0: .int16(unit), 1: .int32(width)]
    case .timestamp(let unit, let zone):
      fields = [0: .int16(unit)]
      if let zone { fields[1] = .node(.string(zone)) }
    case .union(let mode, let ids):
      fields = [0: .int16(mode)]
      if let ids {
        var bytes: [UInt8] = []
        for id in ids { withUnsafeBytes(of: id.littleEndian) { bytes.append(contentsOf: $0) } }
        fields[1] = .node(.structs(bytes, count: ids.count, alignment: 4))
      }
    case .fixedSizeBinary(let width): fields = [0: .int32(width)]
    case .fixedSizeList(let size): fields = [0: .int32(size)]
    case .map(let sorted): fields = [0: .bool(sorted)]
    default: break
    }
    return .table(fields)
  }
}
