#if canImport(Glibc)
  import Glibc
#endif

/// The nodes of an `.onnx` file's main graph, read for one question the C API
/// cannot answer: which inputs the model itself treats NaN as a missing value
/// (`--missing auto`).
///
/// Reads ONNX's protobuf directly (a bounds-checked `ProtobufReader` over the
/// mapped file, so the weights are skipped without being read):
/// ```
///   ModelProto  7 graph (GraphProto)
///   GraphProto  1 node (NodeProto)      12 output (ValueInfoProto: 1 name)
///   NodeProto   1 input   2 output   4 op_type   5 attribute   7 domain
///   AttributeProto  1 name   2 f (fixed32 float)   3 i (varint)
/// ```
public struct ModelGraph: Sendable, Equatable {
  /// One operator node: what it is, the tensors it reads and writes, and the
  /// attributes that decide whether it passes a NaN on or takes it as missing.
  public struct Node: Sendable, Equatable {
    public var opType = ""
    public var domain = ""
    public var inputs: [String] = []
    public var outputs: [String] = []
    /// Every attribute's name.
    public var attributes: [String] = []
    /// `Cast`'s `to`: the ONNX element type it casts to.
    public var castTo: Int64?
    /// `Imputer`'s `replaced_value_float`: the value it replaces (NaN for skl2onnx's SimpleImputer).
    public var replacedValueFloat: Float?
  }

  public var nodes: [Node] = []
  /// The graph's output names.
  public var outputs: [String] = []

  /// Operators whose kernels keep state that concurrent runs on one session
  /// contend on: RE2's caches behind a reader lock (`Tokenizer`,
  /// `RegexFullMatch`), a locale's converters (`StringNormalizer`). Two
  /// workers sharing such a session spend about 15 % of their CPU on that
  /// lock's cache line.
  public static let contendedOperators: Set<String> = ["Tokenizer", "RegexFullMatch", "StringNormalizer"]

  /// The graph of the model at `path`, or nil if it cannot be mapped or is not protobuf.
  public static func read(path: String) -> ModelGraph? {
    mapped(path: path) { parse($0[...]) }
  }

  /// The operator types of the main graph of the model at `path`, reading nothing else:
  /// each node's attributes (most of a forest's file: proto2 repeats every split unpacked) are
  /// skipped whole. Nil if it cannot be mapped or is not protobuf.
  public static func operatorTypes(path: String) -> Set<String>? {
    mapped(path: path) { bytes in
      var types: Set<String> = []
      let found = fields(bytes[...], 7) { graph in
        fields(graph, 1) { node in
          fields(node, 4) { type in
            types.insert(String(decoding: type, as: UTF8.self))
            return true
          }
        }
      }
      return found ? types : nil
    }
  }

  /// Calls `body` on each length-delimited field `number` of the message `bytes`; false on
  /// malformed protobuf or when `body` returns false.
  private static func fields(
    _ bytes: Slice<UnsafeRawBufferPointer>, _ number: UInt64,
    _ body: (Slice<UnsafeRawBufferPointer>) -> Bool
  ) -> Bool {
    var reader = ProtobufReader(bytes)
    while !reader.isAtEnd {
      guard let (field, wire) = reader.readKey() else { return false }
      if field == number && wire == 2 {
        guard let value = reader.readBytes(), body(value) else { return false }
      } else {
        guard reader.skip(wire: wire) else { return false }
      }
    }
    return true
  }

  /// `body` over the file at `path` mapped read-only; nil if it cannot be opened or mapped.
  private static func mapped<R>(path: String, _ body: (UnsafeRawBufferPointer) -> R?) -> R? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.st_size > 0, let size = Int(exactly: info.st_size) else {
      return nil
    }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
      return nil
    }
    defer { munmap(base, size) }
    return body(UnsafeRawBufferPointer(start: base, count: size))
  }

  /// Parses `bytes` as a ModelProto; nil on malformed protobuf.
  public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ModelGraph?
  where Bytes.SubSequence == Bytes {
    var reader = ProtobufReader(bytes)
    var graph = ModelGraph()
    while !reader.isAtEnd {
      guard let (field, wire) = reader.readKey() else { return nil }
      if field == 7 && wire == 2 {
        guard let value = reader.readBytes(), parseGraph(value, into: &graph) else { return nil }
      } else {
        guard reader.skip(wire: wire) else { return nil }
      }
    }
    return graph
  }

  private static func parseGraph<Bytes: Collection<UInt8>>(_ bytes: Bytes, into graph: inout ModelGraph)
    -> Bool
  where Bytes.SubSequence == Bytes {
    var reader = ProtobufReader(bytes)
    while !reader.isAtEnd {
      guard let (field, wire) = reader.readKey() else { return false }
      switch (field, wire) {
      case (1, 2):
        guard let value = reader.readBytes(), let node = parseNode(value) else { return false }
        graph.nodes.append(node)
      case (12, 2):
        guard let value = reader.readBytes(), let name = firstString(value) else { return false }
        graph.outputs.append(name)
      default:
        guard reader.skip(wire: wire) else { return false }
      }
    }
    return true
  }

  private static func parseNode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Node?
  where Bytes.SubSequence == Bytes {
    var reader = ProtobufReader(bytes)
    var node = Node()
    while !reader.isAtEnd {
      guard let (field, wire) = reader.readKey() else { return nil }
      switch (field, wire) {
      case (1, 2), (2, 2), (4, 2), (7, 2):
        guard let value = reader.readBytes() else { return nil }
        let text = String(decoding: value, as: UTF8.self)
        switch field {
        case 1: node.inputs.append(text)
        case 2: node.outputs.append(text)
        case 4: node.opType = text
        default: node.domain = text
        }
      case (5, 2):
        guard let value = reader.readBytes(), parseAttribute(value, into: &node) else { return nil }
      default:
        guard reader.skip(wire: wire) else { return nil }
      }
    }
    return node
  }

  private static func parseAttribute<Bytes: Collection<UInt8>>(_ bytes: Bytes, into node: inout Node) -> Bool
  where Bytes.SubSequence == Bytes {
    var reader = ProtobufReader(bytes)
    var name = ""
    var float: Float?
    var integer: Int64?
    while !reader.isAtEnd {
      guard let (field, wire) = reader.readKey() else { return false }
      switch (field, wire) {
      case (1, 2):
        guard let value = reader.readBytes() else { return false }
        name = String(decoding: value, as: UTF8.self)
      case (2, 5):
        guard let bits = reader.readFixed32() else { return false }
        float = Float(bitPattern: bits)
      case (3, 0):
        guard let value = reader.readVarint() else { return false }
        integer = Int64(bitPattern: value)
      default:
        guard reader.skip(wire: wire) else { return false }
      }
    }
    node.attributes.append(name)
    if name == "to" { node.castTo = integer }
    if name == "replaced_value_float" { node.replacedValueFloat = float }
    return true
  }

  /// Field 1 of a message as a string (a ValueInfoProto's name).
  private static func firstString<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String?
  where Bytes.SubSequence == Bytes {
    var reader = ProtobufReader(bytes)
    while !reader.isAtEnd {
      guard let (field, wire) = reader.readKey() else { return nil }
      if field == 1 && wire == 2 {
        guard let value = reader.readBytes() else { return nil }
        return String(decoding: value, as: UTF8.self)
      }
      guard reader.skip(wire: wire) else { return nil }
    }
    return ""
  }
}
