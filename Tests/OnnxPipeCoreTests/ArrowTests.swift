import Testing

@testable import OnnxPipeCore

/// A stream of `schema` and record batches of one float32 FixedSizeList column `X` of `width`.
func arrowStream(width: Int, batches: [[Float]], legacy: Bool = false, endMarker: Bool = true) -> [UInt8] {
  let schema = ArrowSchema(fields: [
    ArrowField(
      name: "X", nullable: true, type: .fixedSizeList(size: Int32(width)),
      children: [ArrowField(name: "item", nullable: true, type: .floatingPoint(precision: 1))])
  ])
  var out = ArrowMessage.encode(schema)
  for values in batches {
    var body = ArrowBodyBuilder()
    let rows = values.count / width
    body.appendNode(length: rows)
    body.appendBuffer(count: 0)
    body.appendNode(length: values.count)
    body.appendBuffer(count: 0)
    values.withUnsafeBytes { body.appendBuffer($0) }
    out += body.message(rows: rows)
  }
  if endMarker { out += ArrowMessage.endOfStream }
  guard legacy else { return out }
  // The pre-1.0 framing: the same messages without the 0xFFFFFFFF markers.
  var legacyBytes: [UInt8] = []
  var index = 0
  while index + 8 <= out.count {
    let length = out[index + 4..<index + 8].withUnsafeBytes { Int($0.loadUnaligned(as: Int32.self)) }
    guard length > 0 else { break }
    let bodyLength: Int = out[(index + 8)...].withUnsafeBytes { raw in
      guard
        case .success(let message) = Result(catching: {
          try ArrowMessage.decode(UnsafeRawBufferPointer(rebasing: raw[..<length]))
        })
      else { return 0 }
      return message.bodyLength
    }
    legacyBytes += out[index + 4..<index + 8 + length + bodyLength]
    index += 8 + length + bodyLength
  }
  return legacyBytes
}

/// Decodes `stream` fed in `chunk`-byte pieces; returns the messages and the error at the end, if any.
func decodeArrow(_ stream: [UInt8], chunk: Int, maxMessageBytes: Int = 1 << 20) -> (
  messages: [ArrowStreamMessage], error: PipeError?
) {
  var decoder = ArrowStreamDecoder(maxMessageBytes: maxMessageBytes)
  var buffer = InputBuffer(capacity: 16)
  var messages: [ArrowStreamMessage] = []
  var offset = 0
  do {
    while offset < stream.count && !decoder.sawEndMarker {
      let end = min(offset + chunk, stream.count)
      buffer.write(stream[offset..<end])
      offset = end
      while let message = try decoder.decode(&buffer) { messages.append(message) }
    }
    while let message = try decoder.decodeLast(&buffer) { messages.append(message) }
  } catch {
    return (messages, error)
  }
  return (messages, nil)
}

@Suite struct FlatBufferTests {
  @Test func schemaRoundTripsThroughBuilderAndReader() throws {
    let schema = ArrowSchema(
      fields: [
        ArrowField(
          name: "X", nullable: true, type: .fixedSizeList(size: 32),
          children: [ArrowField(name: "item", nullable: true, type: .floatingPoint(precision: 1))],
          metadata: [ArrowKeyValue("unit", "cm")]),
        ArrowField(name: "id", nullable: false, type: .int(bitWidth: 64, signed: true)),
        ArrowField(name: "when", nullable: true, type: .timestamp(unit: 2, timezone: "UTC")),
        ArrowField(name: "d", nullable: true, type: .decimal(precision: 10, scale: 2, bitWidth: 128)),
        ArrowField(
          name: "u", nullable: true, type: .union(mode: 1, typeIDs: [5, 7]),
          children: [
            ArrowField(name: "a", nullable: true, type: .utf8),
            ArrowField(name: "b", nullable: true, type: .bool),
          ]),
        ArrowField(name: "t", nullable: true, type: .time(unit: 3, bitWidth: 64)),
      ],
      metadata: [ArrowKeyValue("pandas", "{}"), ArrowKeyValue("", "empty key")])
    let bytes = ArrowMessage.encode(schema)
    #expect(Array(bytes[0..<4]) == [0xFF, 0xFF, 0xFF, 0xFF])
    #expect(bytes.count % 8 == 0, "the body after the metadata starts 8-aligned")
    let decoded = try bytes[8...].withUnsafeBytes { try ArrowMessage.decode($0) }
    guard case .schema(let read) = decoded else {
      Issue.record("not a schema: \(decoded)")
      return
    }
    #expect(read == schema)
  }

  @Test func recordBatchHeaderRoundTrips() throws {
    let header = ArrowRecordBatch(
      length: 3, nodes: [ArrowFieldNode(length: 3, nullCount: 1), ArrowFieldNode(length: 96, nullCount: 0)],
      buffers: [ArrowBufferSpan(offset: 0, length: 1), ArrowBufferSpan(offset: 8, length: 384)],
      compression: nil)
    let bytes = ArrowMessage.encode(headerType: 3, header: header.node, bodyLength: 392)
    let decoded = try bytes[8...].withUnsafeBytes { try ArrowMessage.decode($0) }
    guard case .recordBatch(let read, let bodyLength) = decoded else {
      Issue.record("not a record batch")
      return
    }
    #expect(read == header)
    #expect(bodyLength == 392)
  }

  @Test func everyTruncationAndEveryByteFlipIsAnErrorOrAValueNeverACrash() {
    let schema = ArrowSchema(fields: [
      ArrowField(name: "a", nullable: true, type: .utf8, metadata: [ArrowKeyValue("k", "v")]),
      ArrowField(
        name: "b", nullable: true, type: .fixedSizeList(size: 4),
        children: [ArrowField(name: "item", nullable: true, type: .int(bitWidth: 16, signed: false))]),
    ])
    let metadata = Array(ArrowMessage.encode(schema)[8...])
    var errors = 0
    for length in 0..<metadata.count {
      let cut = Array(metadata[..<length])
      if (try? cut.withUnsafeBytes { try ArrowMessage.decode($0) }) == nil { errors += 1 }
    }
    #expect(errors >= metadata.count - 8, "almost every cut of the metadata is refused")
    for position in metadata.indices {
      for flip: UInt8 in [0x01, 0x80, 0xFF] {
        var bent = metadata
        bent[position] ^= flip
        _ = try? bent.withUnsafeBytes { try ArrowMessage.decode($0) }
      }
    }
  }

  @Test func offsetPastTheEndNamesItsPosition() {
    let bytes: [UInt8] = [200, 0, 0, 0, 0, 0, 0, 0]
    do {
      _ = try bytes.withUnsafeBytes { try FlatBuffer($0).root() }
      Issue.record("an offset past the end was read")
    } catch let error as FlatBufferError {
      #expect(error.position == 0)
      #expect(error.reason.contains("points to byte 200"))
    } catch {
      Issue.record("unexpected \(error)")
    }
  }
}

@Suite struct ArrowStreamDecoderTests {
  static let batches: [[Float]] = [[1, 2, 3, 4, 5, 6], [], [7, 8, 9]]

  @Test(arguments: [1, 3, 8, 4096])
  func decodesEveryMessageWhateverTheChunking(chunk: Int) throws {
    for legacy in [false, true] {
      let (messages, error) = decodeArrow(
        arrowStream(width: 3, batches: Self.batches, legacy: legacy), chunk: chunk)
      #expect(error == nil)
      #expect(messages.count == 4)
      #expect(messages.map(\.number) == [1, 2, 3, 4])
      guard case .schema = messages[0].message else {
        Issue.record("first message is not the schema")
        continue
      }
      for (message, values) in zip(messages.dropFirst(), Self.batches) {
        guard case .recordBatch(let header, _) = message.message else {
          Issue.record("not a record batch")
          continue
        }
        #expect(header.length == values.count / 3)
        let body = Array(message.bytes[message.bodyOffset...])
        let floats = body[header.buffers[2].range].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(floats == values)
      }
    }
  }

  @Test func endOfInputWithoutTheMarkerIsACleanEnd() {
    let (messages, error) = decodeArrow(
      arrowStream(width: 3, batches: Self.batches, endMarker: false), chunk: 5)
    #expect(error == nil)
    #expect(messages.count == 4)
  }

  @Test func bytesAfterTheEndMarkerAreNotRead() {
    let stream = arrowStream(width: 3, batches: Self.batches) + [1, 2, 3]
    let (messages, error) = decodeArrow(stream, chunk: 4096)
    #expect(error == nil)
    #expect(messages.count == 4)
  }

  @Test func everyTruncationIsAnErrorNamingTheMessage() {
    let stream = arrowStream(width: 3, batches: Self.batches, endMarker: false)
    let (complete, _) = decodeArrow(stream, chunk: 4096)
    let ends = complete.map { Int($0.offset) + $0.bytes.count + 8 }
    for length in 1..<stream.count where !ends.contains(length) {
      let (messages, error) = decodeArrow(Array(stream[..<length]), chunk: 7)
      guard let error else {
        Issue.record("cut at \(length) was not refused")
        continue
      }
      #expect(error.kind == .data)
      #expect(error.message.contains("arrow message \(messages.count + 1) (byte "))
      #expect(error.message.contains("truncated"))
    }
  }

  @Test func lengthOverTheLimitIsRefusedBeforeAllocating() {
    var stream: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
    withUnsafeBytes(of: Int32(1 << 30).littleEndian) { stream += $0 }
    let (_, error) = decodeArrow(stream, chunk: 4096, maxMessageBytes: 1 << 20)
    #expect(
      error?.message
        == "arrow message 1 (byte 0): metadata length 1073741824 is over --max-frame-bytes 1048576")
  }
}
