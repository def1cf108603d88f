import Testing

@testable import OnnxPipeCore

/// Builds a raw frame stream from payloads.
func frameStream(_ payloads: [[UInt8]]) -> [UInt8] {
  var bytes: [UInt8] = []
  for payload in payloads {
    LengthPrefixedFrameEncoder.appendHeader(count: payload.count, to: &bytes)
    bytes += payload
  }
  return bytes
}

/// Feeds `stream` to a decoder in chunks of `chunk` bytes; returns the frames and the error at the end, if any.
func decodeAll(
  _ stream: [UInt8], chunk: Int, maxPayload: Int = 1 << 20
) -> (frames: [Frame], error: PipeError?) {
  var decoder = LengthPrefixedFrameDecoder(maxPayloadBytes: maxPayload)
  var buffer = InputBuffer(capacity: 16)
  var frames: [Frame] = []
  var offset = 0
  do {
    while offset < stream.count {
      let end = min(offset + chunk, stream.count)
      buffer.write(stream[offset..<end])
      offset = end
      while let frame = try decoder.decode(&buffer) { frames.append(frame) }
    }
    while let frame = try decoder.decodeLast(&buffer, seenEOF: true) { frames.append(frame) }
  } catch {
    return (frames, error)
  }
  return (frames, nil)
}

@Suite struct FrameDecoderTests {
  static let payloads: [[UInt8]] = [[1, 2, 3], [], Array(0..<200).map { UInt8($0) }, [9]]
  static let stream = frameStream(payloads)

  @Test(arguments: Array(1...40) + [stream.count])
  func decodesTheSameFramesAtEveryChunkSize(chunk: Int) {
    let (frames, error) = decodeAll(Self.stream, chunk: chunk)
    #expect(error == nil)
    #expect(frames.map(\.payload) == Self.payloads)
    #expect(frames.map(\.number) == [1, 2, 3, 4])
    #expect(frames.map(\.offset) == [0, 7, 11, 215])
  }

  @Test(arguments: [1, 3, 64])
  func truncatedPayloadReportsFrameAndBytes(chunk: Int) {
    let stream = Array(Self.stream.dropLast(1 + 4 + 50))  // drop frame 4 and 50 bytes of frame 3
    let (frames, error) = decodeAll(stream, chunk: chunk)
    #expect(frames.map(\.payload) == Array(Self.payloads.prefix(2)))
    #expect(
      error
        == PipeError(
          .data, "frame 3 (byte 11): truncated: stream ended at byte 165, 50 of its 200 payload bytes missing"
        ))
  }

  @Test func truncatedLengthPrefixReportsTheByte() {
    let stream = Self.stream + [5, 0]
    let (frames, error) = decodeAll(stream, chunk: 5)
    #expect(frames.count == 4)
    #expect(
      error
        == PipeError(
          .data, "frame 5 (byte 220): truncated: stream ended at byte 222 inside the 4-byte length"))
  }

  @Test func oversizedLengthIsRefusedBeforeReadingThePayload() {
    var stream: [UInt8] = []
    LengthPrefixedFrameEncoder.appendHeader(count: 1001, to: &stream)
    let (frames, error) = decodeAll(frameStream([[7]]) + stream, chunk: 8, maxPayload: 1000)
    #expect(frames.count == 1)
    #expect(error == PipeError(.data, "frame 2 (byte 5): length 1001 exceeds --max-frame-bytes 1000"))
  }

  @Test func maximumLengthIsAccepted() {
    let (frames, error) = decodeAll(frameStream([[1, 2, 3, 4]]), chunk: 2, maxPayload: 4)
    #expect(error == nil)
    #expect(frames.first?.payload == [1, 2, 3, 4])
  }

  @Test func emptyStreamHasNoFramesAndNoError() {
    let (frames, error) = decodeAll([], chunk: 1)
    #expect(frames.isEmpty)
    #expect(error == nil)
  }

  @Test func needsMoreBytesLeavesTheCursorAlone() throws {
    var decoder = LengthPrefixedFrameDecoder(maxPayloadBytes: 100)
    var buffer = InputBuffer()
    buffer.write([3, 0])
    #expect(try decoder.decode(&buffer) == nil)
    #expect(buffer.readableBytes == 2)
    buffer.write([0, 0, 1, 2])
    #expect(try decoder.decode(&buffer) == nil)
    buffer.write([3])
    #expect(try decoder.decode(&buffer)?.payload == [1, 2, 3])
    #expect(buffer.readableBytes == 0)
  }
}
