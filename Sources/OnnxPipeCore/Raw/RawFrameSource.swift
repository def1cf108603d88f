/// Reads raw frames from a file descriptor: one frame is one batch.
public struct RawFrameSource: BatchSource {
  private let input: FileDescriptor
  private var buffer: InputBuffer
  private var decoder: LengthPrefixedFrameDecoder
  private var seenEOF = false
  private let readSize: Int

  /// - Parameters:
  ///   - maxFrameBytes: the largest payload accepted (`--max-frame-bytes`).
  ///   - readSize: bytes asked of each `read(2)`.
  public init(input: FileDescriptor, maxFrameBytes: Int, readSize: Int = 1 << 18) {
    self.input = input
    self.readSize = readSize
    buffer = InputBuffer(capacity: readSize)
    decoder = LengthPrefixedFrameDecoder(maxPayloadBytes: maxFrameBytes)
  }

  public mutating func next() throws(PipeError) -> Batch? {
    while true {
      if let frame = try decoder.decodeLast(&buffer, seenEOF: seenEOF) {
        return Batch(
          origin: BatchOrigin(unit: .frame, number: frame.number, byteOffset: frame.offset),
          payload: frame.payload)
      }
      if seenEOF { return nil }
      let count = try buffer.read(from: input, minimum: readSize)
      if count == 0 { seenEOF = true }
    }
  }
}
