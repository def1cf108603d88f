#if canImport(Glibc)
  import Glibc
#endif

/// The top-level fields of an `.onnx` file that ONNX Runtime's C API does not
/// expose: IR version, producer version and the operator set imports.
///
/// Reads ONNX's `ModelProto` protobuf directly, skipping every other field.
/// ```
///   ModelProto: 1 ir_version (varint)   2 producer_name   3 producer_version
///               8 opset_import (message: 1 domain (string), 2 version (varint))
/// ```
public struct ModelHeader: Sendable, Equatable {
  /// One operator set import.
  public struct Opset: Sendable, Equatable {
    public let domain: String
    public let version: Int64
  }

  public var irVersion: Int64 = 0
  public var producerVersion = ""
  public var opsets: [Opset] = []

  /// Reads the header of the model at `path`, or nil if it is not readable protobuf.
  public static func read(path: String) -> ModelHeader? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = fread(&chunk, 1, chunk.count, file)
      if count == 0 { break }
      bytes.append(contentsOf: chunk[0..<count])
    }
    return parse(bytes)
  }

  /// Parses `bytes` as a ModelProto; nil on malformed protobuf.
  public static func parse(_ bytes: [UInt8]) -> ModelHeader? {
    var header = ModelHeader()
    var reader = ProtobufReader(bytes[...])
    while !reader.isAtEnd {
      guard let (field, wire) = reader.readKey() else { return nil }
      switch (field, wire) {
      case (1, 0):
        guard let value = reader.readVarint() else { return nil }
        header.irVersion = Int64(bitPattern: value)
      case (3, 2):
        guard let value = reader.readBytes() else { return nil }
        header.producerVersion = String(decoding: value, as: UTF8.self)
      case (8, 2):
        guard let value = reader.readBytes(), let opset = parseOpset(value) else { return nil }
        header.opsets.append(opset)
      default:
        guard reader.skip(wire: wire) else { return nil }
      }
    }
    return header
  }

  private static func parseOpset(_ bytes: ArraySlice<UInt8>) -> Opset? {
    var reader = ProtobufReader(bytes)
    var domain = ""
    var version: Int64 = 0
    while !reader.isAtEnd {
      guard let (field, wire) = reader.readKey() else { return nil }
      switch (field, wire) {
      case (1, 2):
        guard let value = reader.readBytes() else { return nil }
        domain = String(decoding: value, as: UTF8.self)
      case (2, 0):
        guard let value = reader.readVarint() else { return nil }
        version = Int64(bitPattern: value)
      default:
        guard reader.skip(wire: wire) else { return nil }
      }
    }
    return Opset(domain: domain, version: version)
  }
}

/// A bounds-checked protobuf wire-format reader: every read returns nil past the end.
/// Reads an array's bytes or a mapped file's (`ModelGraph`) alike.
struct ProtobufReader<Bytes: Collection<UInt8>> where Bytes.SubSequence == Bytes {
  private var bytes: Bytes

  init(_ bytes: Bytes) { self.bytes = bytes }

  var isAtEnd: Bool { bytes.isEmpty }

  mutating func readVarint() -> UInt64? {
    var value: UInt64 = 0
    var shift: UInt64 = 0
    while let byte = bytes.first {
      bytes = bytes.dropFirst()
      guard shift < 64 else { return nil }
      value |= UInt64(byte & 0x7F) << shift
      if byte & 0x80 == 0 { return value }
      shift += 7
    }
    return nil
  }

  mutating func readKey() -> (field: UInt64, wire: UInt64)? {
    guard let key = readVarint() else { return nil }
    return (key >> 3, key & 7)
  }

  mutating func readBytes() -> Bytes? {
    guard let length = readVarint(), let count = Int(exactly: length), count <= bytes.count else {
      return nil
    }
    defer { bytes = bytes.dropFirst(count) }
    return bytes.prefix(count)
  }

  /// A fixed32 field (wire type 5), such as a `float`, little-endian.
  mutating func readFixed32() -> UInt32? {
    guard bytes.count >= 4 else { return nil }
    defer { bytes = bytes.dropFirst(4) }
    return bytes.prefix(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
  }

  mutating func skip(wire: UInt64) -> Bool {
    switch wire {
    case 0: return readVarint() != nil
    case 1: return drop(8)
    case 2: return readBytes() != nil
    case 5: return drop(4)
    default: return false
    }
  }

  private mutating func drop(_ count: Int) -> Bool {
    guard bytes.count >= count else { return false }
    bytes = bytes.dropFirst(count)
    return true
  }
}
