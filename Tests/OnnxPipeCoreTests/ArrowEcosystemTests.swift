import Foundation
import Testing

@testable import OnnxPipeCore

/// Joins each row of a string input "s" [N, k] with "|": output "echo" string [N].
struct EchoEngine: InferenceEngine {
  var width = 1
  var signature: ModelSignature {
    ModelSignature(
      inputs: [TensorSpec(name: "s", kind: .tensor(.string, [.symbolic("N"), .fixed(width)]))],
      outputs: [TensorSpec(name: "echo", kind: .tensor(.string, [.symbolic("N")]))])
  }

  func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    guard case .strings(let strings) = inputs[0].contents else { return [] }
    let rows = inputs[0].shape[0]
    let joined = (0..<rows).map { strings[$0 * width..<($0 + 1) * width].joined(separator: "|") }
    return [OutputTensor(element: .string, shape: [rows], contents: .strings(joined))]
  }
}

/// Builds Arrow IPC streams array by array, the way the columnar format lays them out.
struct ArrowStreamWriter {
  var bytes: [UInt8]

  init(_ schema: ArrowSchema) {
    bytes = ArrowMessage.encode(schema)
  }

  /// A record batch of `rows` rows; `fill` appends its arrays and returns their variadic buffer counts.
  mutating func batch(rows: Int, _ fill: (inout ArrowBodyBuilder) -> [Int]) {
    var body = ArrowBodyBuilder()
    let variadic = fill(&body)
    bytes += body.message(rows: rows, variadicBufferCounts: variadic)
  }

  mutating func dictionary(
    id: Int64, isDelta: Bool = false, rows: Int, _ fill: (inout ArrowBodyBuilder) -> [Int]
  ) {
    var body = ArrowBodyBuilder()
    let variadic = fill(&body)
    bytes += body.dictionaryMessage(id: id, isDelta: isDelta, rows: rows, variadicBufferCounts: variadic)
  }
}

extension ArrowBodyBuilder {
  /// A primitive array; nil values are nulls.
  mutating func primitive<T: FixedWidthInteger>(_ values: [T?]) {
    let valid = values.map { $0 != nil }
    appendNode(length: values.count, nullCount: appendValidity(valid))
    let raw = values.map { ($0 ?? 0).littleEndian }
    raw.withUnsafeBytes { appendBuffer($0) }
  }

  mutating func floats(_ values: [Float]) {
    appendNode(length: values.count)
    appendBuffer(count: 0)
    values.withUnsafeBytes { appendBuffer($0) }
  }

  /// A `Utf8` array.
  mutating func utf8(_ strings: [String]) {
    appendNode(length: strings.count)
    appendBuffer(count: 0)
    var offsets: [Int32] = [0]
    var data: [UInt8] = []
    for string in strings {
      data += Array(string.utf8)
      offsets.append(Int32(data.count))
    }
    offsets.withUnsafeBytes { appendBuffer($0) }
    data.withUnsafeBytes { appendBuffer($0) }
  }

  /// A `Utf8View` array whose long strings go round-robin into `buffers`
  /// data buffers; returns its variadic buffer count.
  mutating func utf8View(_ strings: [String?], buffers: Int) -> Int {
    appendNode(length: strings.count, nullCount: appendValidity(strings.map { $0 != nil }))
    var views: [UInt8] = []
    var data = [[UInt8]](repeating: [], count: buffers)
    var long = 0
    for string in strings {
      let bytes = Array((string ?? "").utf8)
      withUnsafeBytes(of: Int32(bytes.count).littleEndian) { views += $0 }
      if bytes.count <= 12 {
        views += bytes + [UInt8](repeating: 0, count: 12 - bytes.count)
      } else {
        let buffer = long % buffers
        long += 1
        views += bytes[0..<4]
        withUnsafeBytes(of: Int32(buffer).littleEndian) { views += $0 }
        withUnsafeBytes(of: Int32(data[buffer].count).littleEndian) { views += $0 }
        data[buffer] += bytes
      }
    }
    views.withUnsafeBytes { appendBuffer($0) }
    for buffer in data { buffer.withUnsafeBytes { appendBuffer($0) } }
    return buffers
  }
}

let float32 = ArrowType.floatingPoint(precision: 1)

func field(
  _ name: String, _ type: ArrowType, _ children: [ArrowField] = [], dictionary: ArrowDictionaryEncoding? = nil
)
  -> ArrowField
{
  ArrowField(name: name, nullable: true, type: type, children: children, dictionary: dictionary)
}

/// Calls `body` with the real source reading `stream` from a file, `readSize` bytes at a time.
func withArrowSource<R>(_ stream: [UInt8], readSize: Int, _ body: (inout ArrowBatchSource) -> R) -> R {
  let path = FileManager.default.temporaryDirectory.appendingPathComponent("onnxpipe-arrow-\(UUID()).arrows")
    .path
  FileManager.default.createFile(atPath: path, contents: Data(stream))
  let descriptor = open(path, O_RDONLY)
  defer {
    close(descriptor)
    unlink(path)
  }
  var source = ArrowBatchSource(
    input: FileDescriptor(rawValue: descriptor), maxMessageBytes: 1 << 20, readSize: readSize)
  return body(&source)
}

/// Runs `stream` through the real source (reading `readSize` bytes at a time
/// from a file) and processor; returns everything written, or the first error.
func runArrow(
  _ stream: [UInt8], engine: some InferenceEngine, output: String = "ndjson", keep: Bool = false,
  onError: OnErrorPolicy = .fail, readSize: Int = 4096
) -> Result<[UInt8], PipeError> {
  withArrowSource(stream, readSize: readSize) { source in runArrow(&source, engine, output, keep, onError) }
}

private func runArrow(
  _ source: inout ArrowBatchSource, _ engine: some InferenceEngine, _ output: String, _ keep: Bool,
  _ onError: OnErrorPolicy
) -> Result<[UInt8], PipeError> {
  do throws(PipeError) {
    guard let schema = try source.readSchema() else { return .success([]) }
    let (processor, preamble) = try ArrowFormat.processor(
      schema: schema, engine: engine, output: output, mapping: InputMapping(), keep: keep,
      onError: onError, modelName: "test.onnx", stats: nil)
    var out = preamble
    while let batch = try source.next() {
      do throws(PipeError) {
        out += try processor.process(batch).bytes
      } catch {
        return .failure(error)
      }
    }
    return .success(out)
  } catch {
    return .failure(error)
  }
}

func text(_ result: Result<[UInt8], PipeError>) -> String {
  switch result {
  case .success(let bytes): String(decoding: bytes, as: UTF8.self)
  case .failure(let error): "error: \(error.message)"
  }
}

/// The kinds of the messages in an Arrow stream: "schema", "batch 3", "dictionary 7" or "delta 7".
func messageKinds(_ stream: [UInt8]) -> [String] {
  decodeArrow(stream, chunk: 4096).messages.map { message in
    switch message.message {
    case .schema: "schema"
    case .recordBatch(let header, _): "batch \(header.length)"
    case .dictionaryBatch(let batch, _): "\(batch.isDelta ? "delta" : "dictionary") \(batch.id)"
    case .other(let kind, _): kind
    }
  }
}

@Suite struct ArrowEcosystemTests {
  static let strings: [String?] = [
    "", "short", "twelve chars", "thirteen char", "a string long enough for a buffer", nil,
    "é ünïcödé text past twelve",
  ]

  /// `Utf8View` between two other columns, so the buffers after it move with its variadic count.
  static func viewStream() -> [UInt8] {
    let schema = ArrowSchema(fields: [
      field("n", .int(bitWidth: 64, signed: true)), field("s", .utf8View), field("t", .utf8),
    ])
    var writer = ArrowStreamWriter(schema)
    writer.batch(rows: 7) { body in
      body.primitive((0..<7).map { Int64?($0) })
      let variadic = body.utf8View(strings, buffers: 2)
      body.utf8((0..<7).map { "t\($0)" })
      return [variadic]
    }
    writer.batch(rows: 2) { body in
      body.primitive([Int64?(7), 8])
      let variadic = body.utf8View(["x", "a second batch with one buffer"], buffers: 1)
      body.utf8(["t7", "t8"])
      return [variadic]
    }
    return writer.bytes + ArrowMessage.endOfStream
  }

  @Test func viewListViewAndDictionaryFieldsRoundTrip() throws {
    let strings = ArrowDictionaryEncoding(id: 3, indexType: .int(bitWidth: 8, signed: true), isOrdered: true)
    let schema = ArrowSchema(fields: [
      field("s", .utf8View), field("b", .binaryView),
      field("lv", .listView, [field("item", float32)]),
      field("llv", .largeListView, [field("item", float32)]),
      field(
        "c", .utf8, dictionary: ArrowDictionaryEncoding(id: 0, indexType: .int(bitWidth: 32, signed: false))),
      field(
        "nested", .list, [field("item", .utf8, dictionary: strings)],
        dictionary: ArrowDictionaryEncoding(id: 9, indexType: .int(bitWidth: 16, signed: true))),
    ])
    let bytes = ArrowMessage.encode(schema)
    guard case .schema(let read) = try bytes[8...].withUnsafeBytes({ try ArrowMessage.decode($0) }) else {
      Issue.record("not a schema")
      return
    }
    #expect(read == schema)
    #expect(try read.dictionaryValueFields().keys.sorted() == [0, 3, 9])
    // A dictionary-encoded field is one node (its indices); its values are in dictionary batches.
    #expect(read.fields.map(\.nodeCount) == [1, 1, 2, 2, 1, 1])
    #expect(read.layout.nodes.map(\.fixedBuffers) == [2, 2, 3, 2, 3, 2, 2, 2])
  }

  @Test func dictionaryBatchHeaderRoundTripsWithVariadicCounts() throws {
    let data = ArrowRecordBatch(
      length: 2, nodes: [ArrowFieldNode(length: 2, nullCount: 0)],
      buffers: [
        ArrowBufferSpan(offset: 0, length: 0), ArrowBufferSpan(offset: 0, length: 32),
        ArrowBufferSpan(offset: 32, length: 40),
      ],
      compression: nil, variadicBufferCounts: [1])
    let batch = ArrowDictionaryBatch(id: 42, data: data, isDelta: true)
    let bytes = ArrowMessage.encode(headerType: 2, header: batch.node, bodyLength: 72)
    guard
      case .dictionaryBatch(let read, let length) = try bytes[8...].withUnsafeBytes({
        try ArrowMessage.decode($0)
      })
    else {
      Issue.record("not a dictionary batch")
      return
    }
    #expect(read == batch)
    #expect(length == 72)
  }

  @Test func buffersAfterAViewColumnMoveWithEachBatchsVariadicCount() throws {
    let layout = ArrowSchema(fields: [
      field("a", .int(bitWidth: 32, signed: true)), field("s", .utf8View), field("b", .binaryView),
      field("k", .int(bitWidth: 64, signed: true)),
    ]).layout
    func header(_ variadic: [Int], buffers: Int) -> ArrowRecordBatch {
      ArrowRecordBatch(
        length: 0, nodes: Array(repeating: ArrowFieldNode(length: 0, nullCount: 0), count: 4),
        buffers: Array(repeating: ArrowBufferSpan(offset: 0, length: 0), count: buffers), compression: nil,
        variadicBufferCounts: variadic)
    }
    #expect(try layout.bufferStarts(header([3, 0], buffers: 11)) == [0, 2, 7, 9, 11])
    #expect(try layout.bufferStarts(header([0, 2], buffers: 10)) == [0, 2, 4, 8, 10])
    #expect(
      throws: PipeError(
        .data,
        "the record batch has 4 field nodes and 10 buffers; the schema calls for 4 and 8 (1 variadic buffer counts for 2 view arrays)"
      )
    ) {
      try layout.bufferStarts(header([2], buffers: 10))
    }
  }

  @Test(arguments: [1, 5, 64, 4096])
  func utf8ViewColumnFeedsAStringInput(readSize: Int) {
    let result = text(runArrow(Self.viewStream(), engine: EchoEngine(), onError: .null, readSize: readSize))
    #expect(
      result == """
        {"echo":""}
        {"echo":"short"}
        {"echo":"twelve chars"}
        {"echo":"thirteen char"}
        {"echo":"a string long enough for a buffer"}
        {"echo":null}
        {"echo":"é ünïcödé text past twelve"}
        {"echo":"x"}
        {"echo":"a second batch with one buffer"}

        """)
  }

  @Test func keepCopiesViewColumnsWithTheirVariadicCounts() throws {
    let input = Self.viewStream()
    let output = try runArrow(input, engine: EchoEngine(), output: "arrow", keep: true, onError: .null).get()
    let (inMessages, _) = decodeArrow(input, chunk: 4096)
    let (outMessages, error) = decodeArrow(output + ArrowMessage.endOfStream, chunk: 4096)
    #expect(error == nil)
    #expect(outMessages.count == 3)
    for (original, copy) in zip(inMessages.dropFirst(), outMessages.dropFirst()) {
      guard case .recordBatch(let before, _) = original.message,
        case .recordBatch(let after, _) = copy.message
      else {
        Issue.record("not record batches")
        continue
      }
      #expect(after.variadicBufferCounts == before.variadicBufferCounts)
      #expect(Array(after.nodes.prefix(3)) == before.nodes)
      // Every input buffer, byte for byte, then the echo column's three.
      #expect(after.buffers.count == before.buffers.count + 3)
      for index in before.buffers.indices {
        #expect(
          copy.bytes[copy.bodyOffset...].dropFirst(after.buffers[index].offset).prefix(
            after.buffers[index].length
          )
          .elementsEqual(
            original.bytes[original.bodyOffset...].dropFirst(before.buffers[index].offset).prefix(
              before.buffers[index].length)))
      }
    }
  }

  /// Dictionary 7 (int16 indices into strings): a first batch, a delta, a replacement.
  static func dictionaryStream() -> [UInt8] {
    let encoding = ArrowDictionaryEncoding(id: 7, indexType: .int(bitWidth: 16, signed: true))
    var writer = ArrowStreamWriter(ArrowSchema(fields: [field("s", .utf8, dictionary: encoding)]))
    writer.dictionary(id: 7, rows: 2) { body in
      body.utf8(["alpha", "beta"])
      return []
    }
    writer.batch(rows: 3) { body in
      body.primitive([Int16?(1), 0, 1])
      return []
    }
    writer.dictionary(id: 7, isDelta: true, rows: 1) { body in
      body.utf8(["gamma"])
      return []
    }
    writer.batch(rows: 2) { body in
      body.primitive([Int16?(2), nil])
      return []
    }
    writer.dictionary(id: 7, rows: 2) { body in
      body.utf8(["x", "y"])
      return []
    }
    writer.batch(rows: 2) { body in
      body.primitive([Int16?(1), 0])
      return []
    }
    return writer.bytes
  }

  @Test(arguments: [1, 7, 4096])
  func dictionaryColumnFollowsDeltasAndReplacements(readSize: Int) {
    #expect(
      text(runArrow(Self.dictionaryStream(), engine: EchoEngine(), onError: .null, readSize: readSize)) == """
        {"echo":"beta"}
        {"echo":"alpha"}
        {"echo":"beta"}
        {"echo":"gamma"}
        {"echo":null}
        {"echo":"y"}
        {"echo":"x"}

        """)
  }

  @Test func keepWritesEachDictionaryBatchAgainBeforeTheBatchesThatUseIt() throws {
    let output = try runArrow(
      Self.dictionaryStream(), engine: EchoEngine(), output: "arrow", keep: true, onError: .null
    ).get()
    #expect(
      messageKinds(output) == [
        "schema", "dictionary 7", "batch 3", "delta 7", "batch 2", "dictionary 7", "batch 2",
      ])
    guard case .schema(let schema) = decodeArrow(output, chunk: 4096).messages[0].message else {
      Issue.record("no schema")
      return
    }
    #expect(
      schema.fields[0].dictionary
        == ArrowDictionaryEncoding(id: 7, indexType: .int(bitWidth: 16, signed: true)))
  }

  @Test func badDictionaryIndicesAndNullValuesAreBadRecordsNamingTheColumn() {
    let encoding = ArrowDictionaryEncoding(id: 1, indexType: .int(bitWidth: 8, signed: false))
    var writer = ArrowStreamWriter(ArrowSchema(fields: [field("s", .utf8View, dictionary: encoding)]))
    writer.dictionary(id: 1, rows: 2) { body in [body.utf8View(["ok", nil], buffers: 1)] }
    writer.batch(rows: 3) { body in
      body.primitive([UInt8?(0), 9, 1])
      return []
    }
    #expect(
      text(runArrow(writer.bytes, engine: EchoEngine(), onError: .null))
        == "{\"echo\":\"ok\"}\n{\"echo\":null}\n{\"echo\":null}\n")
    // The batch is the stream's third message: its offset is the one the message names.
    let offset = decodeArrow(writer.bytes, chunk: 4096).messages[2].offset
    #expect(
      text(runArrow(writer.bytes, engine: EchoEngine()))
        == "error: batch 1 (byte \(offset)): row 2: column 's' holds dictionary index 9, outside its 2 values"
    )
    var nulls = ArrowStreamWriter(ArrowSchema(fields: [field("s", .utf8View, dictionary: encoding)]))
    nulls.dictionary(id: 1, rows: 2) { body in [body.utf8View(["ok", nil], buffers: 1)] }
    nulls.batch(rows: 1) { body in
      body.primitive([UInt8?(1)])
      return []
    }
    #expect(
      text(runArrow(nulls.bytes, engine: EchoEngine())).hasSuffix(
        "row 1: column 's' is null (its dictionary value is null)"))
  }

  @Test func dictionaryOfNumbersFeedsANumericInput() {
    let encoding = ArrowDictionaryEncoding(id: 0, indexType: .int(bitWidth: 32, signed: true))
    var writer = ArrowStreamWriter(
      ArrowSchema(fields: [field("x", .int(bitWidth: 64, signed: true), dictionary: encoding)]))
    writer.dictionary(id: 0, rows: 3) { body in
      body.primitive([Int64?(10), -3, 7])
      return []
    }
    writer.batch(rows: 4) { body in
      body.primitive([Int32?(2), 1, 0, 2])
      return []
    }
    #expect(
      text(runArrow(writer.bytes, engine: SumEngine(features: 1)))
        == "{\"sum\":7.0,\"label\":1}\n{\"sum\":-3.0,\"label\":0}\n{\"sum\":10.0,\"label\":1}\n{\"sum\":7.0,\"label\":1}\n"
    )
  }

  @Test(arguments: [false, true])
  func listViewRowsMayComeInAnyOrderAndOverlap(large: Bool) {
    // Rows [5, 6], [1, 2], [2, 3], [1, 2] over the values 1...6; the last row a wrong size or outside.
    let values: [Float] = [1, 2, 3, 4, 5, 6]
    func stream(offsets: [Int64], sizes: [Int64]) -> [UInt8] {
      var writer = ArrowStreamWriter(
        ArrowSchema(fields: [field("x", large ? .largeListView : .listView, [field("item", float32)])]))
      writer.batch(rows: offsets.count) { body in
        body.appendNode(length: offsets.count)
        body.appendBuffer(count: 0)
        for column in [offsets, sizes] {
          if large {
            column.withUnsafeBytes { body.appendBuffer($0) }
          } else {
            column.map { Int32($0) }.withUnsafeBytes { body.appendBuffer($0) }
          }
        }
        body.floats(values)
        return []
      }
      return writer.bytes
    }
    #expect(
      text(runArrow(stream(offsets: [4, 0, 1, 0], sizes: [2, 2, 2, 2]), engine: SumEngine(features: 2)))
        == "{\"sum\":11.0,\"label\":1}\n{\"sum\":3.0,\"label\":1}\n{\"sum\":5.0,\"label\":1}\n{\"sum\":3.0,\"label\":1}\n"
    )
    #expect(
      text(runArrow(stream(offsets: [4, 0, 1, 3], sizes: [2, 2, 2, 3]), engine: SumEngine(features: 2)))
        .hasSuffix("row 4: column 'x' holds a list of 3 values where 2 are needed"))
    #expect(
      text(runArrow(stream(offsets: [4, 0, 1, 5], sizes: [2, 2, 2, 2]), engine: SumEngine(features: 2)))
        .hasSuffix("row 4: column 'x' holds a list outside its values (offset 5)"))
    if large {
      // An offset plus a size past Int64.max is a bad row, not an overflow trap.
      #expect(
        text(runArrow(stream(offsets: [4, Int64.max - 1], sizes: [2, 2]), engine: SumEngine(features: 2)))
          .hasSuffix("row 2: column 'x' holds a list outside its values (offset 9223372036854775806)"))
    }
  }

  @Test func aViewOutsideItsBuffersIsABadRecordNotAnOverRead() {
    var stream = ArrowStreamWriter(ArrowSchema(fields: [field("s", .utf8View)]))
    stream.batch(rows: 2) { body in
      body.appendNode(length: 2)
      body.appendBuffer(count: 0)
      var views: [UInt8] = []
      for (length, buffer, offset) in [(Int32(20), Int32(0), Int32(0)), (20, 3, 0)] {
        for value in [length, 0x6c6f_6e67, buffer, offset] {
          withUnsafeBytes(of: value.littleEndian) { views += $0 }
        }
      }
      views.withUnsafeBytes { body.appendBuffer($0) }
      Array(repeating: UInt8(ascii: "a"), count: 20).withUnsafeBytes { body.appendBuffer($0) }
      return [1]
    }
    #expect(
      text(runArrow(stream.bytes, engine: EchoEngine())).hasSuffix(
        "row 2: column 's' holds a string that is not valid UTF-8 or lies outside its buffer"))
  }

  @Test func dictionaryBatchesTheSchemaDoesNotCallForAreRefused() {
    var unknown = ArrowStreamWriter(ArrowSchema(fields: [field("s", .utf8)]))
    unknown.dictionary(id: 4, rows: 1) { body in
      body.utf8(["a"])
      return []
    }
    #expect(
      text(runArrow(unknown.bytes, engine: EchoEngine())).contains(
        "a dictionary batch for dictionary 4, which no field of the schema uses"))
    let encoding = ArrowDictionaryEncoding(id: 4, indexType: .int(bitWidth: 8, signed: true))
    var delta = ArrowStreamWriter(ArrowSchema(fields: [field("s", .utf8, dictionary: encoding)]))
    delta.dictionary(id: 4, isDelta: true, rows: 1) { body in
      body.utf8(["a"])
      return []
    }
    #expect(
      text(runArrow(delta.bytes, engine: EchoEngine())).contains(
        "a delta for dictionary 4 before any dictionary batch for it"))
    var missing = ArrowStreamWriter(ArrowSchema(fields: [field("s", .utf8, dictionary: encoding)]))
    missing.batch(rows: 1) { body in
      body.primitive([Int8?(0)])
      return []
    }
    #expect(
      text(runArrow(missing.bytes, engine: EchoEngine())).hasSuffix(
        "column 's': dictionary 4 was not sent before this batch"))
  }

  /// Found by the fuzzer: the refusal ran the chunk's deinit after freeing its bytes (a double free).
  @Test func aDictionaryWhoseLengthDisagreesWithItsBatchIsRefused() {
    let encoding = ArrowDictionaryEncoding(id: 4, indexType: .int(bitWidth: 8, signed: true))
    var writer = ArrowStreamWriter(ArrowSchema(fields: [field("s", .utf8, dictionary: encoding)]))
    writer.dictionary(id: 4, rows: 3) { body in
      body.utf8(["a", "b"])
      return []
    }
    let offset = decodeArrow(writer.bytes, chunk: 4096).messages[1].offset
    #expect(
      text(runArrow(writer.bytes, engine: EchoEngine()))
        == "error: arrow message 2 (byte \(offset)): dictionary 4: holds 2 values in a batch of 3")
  }

  @Test func anUnsupportedStreamIsRefusedByNameNotCalledCorrupt() {
    // Schema.endianness is field 0 of the Schema table: a schema that sets it to Big.
    let big = ArrowMessage.encode(
      headerType: 1, header: .table([0: .int16(1), 1: .node(.vector([field("s", .utf8).node]))]),
      bodyLength: 0)
    let message = text(runArrow(big, engine: EchoEngine()))
    #expect(
      message.hasPrefix(
        "error: arrow message 1 (byte 0): the stream is big-endian, which onnxpipe does not read;"))
    #expect(!message.contains("corrupt"))
    var unknown = ArrowField(name: "s", nullable: true, type: .utf8).node
    if case .table(var fields) = unknown { fields[2] = .uint8(99); unknown = .table(fields) }
    let newer = ArrowMessage.encode(
      headerType: 1, header: .table([1: .node(.vector([unknown]))]), bodyLength: 0)
    let refused = text(runArrow(newer, engine: EchoEngine()))
    #expect(
      refused.hasPrefix(
        "error: arrow message 1 (byte 0): column 's': unknown type id 99 (a type newer than this onnxpipe knows, or a corrupt stream)"
      ))
  }
}
