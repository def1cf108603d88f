import Testing

@testable import OnnxPipeCore

@Suite struct InputBufferTests {
  @Test func readsLittleEndianAndTracksTheStreamOffset() {
    var buffer = InputBuffer(capacity: 4)
    buffer.write([0x78, 0x56, 0x34, 0x12, 0xFF])
    #expect(buffer.peekUInt32LE() == 0x1234_5678)
    #expect(buffer.streamOffset == 0)
    #expect(buffer.readUInt32LE() == 0x1234_5678)
    #expect(buffer.streamOffset == 4)
    #expect(buffer.readUInt32LE() == nil)
    #expect(buffer.readableBytes == 1)
    #expect(buffer.readBytes(1) == [0xFF])
    #expect(buffer.streamOffset == 5)
  }

  @Test func keepsFIFOOrderAcrossCompactionsAndGrowth() {
    var buffer = InputBuffer(capacity: 8)
    var model: [UInt8] = []
    for round in 0..<100 {
      let chunk = (0..<(round % 9 + 1)).map { UInt8(truncatingIfNeeded: round * 7 + $0) }
      buffer.write(chunk)
      model += chunk
      let take = min(round % 7 + 1, model.count)
      #expect(buffer.readBytes(take) == Array(model.prefix(take)))
      model.removeFirst(take)
      #expect(buffer.readableBytes == model.count)
    }
    #expect(buffer.readBytes(model.count) == model)
  }
}
