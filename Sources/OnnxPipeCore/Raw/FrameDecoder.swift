/// One raw frame read from the input stream.
public struct Frame: Sendable, Equatable {
  /// 1-based position of the frame in the stream.
  public let number: Int
  /// Byte offset in the stream where the frame's length prefix starts.
  public let offset: UInt64
  /// The payload bytes.
  public var payload: [UInt8]
}

/// Decodes the raw frame format: a little-endian u32 payload length, then the payload.
///
/// ```
///   offset 0        4                          4+L
///   +---------------+--------------------------+
///   | L: u32 LE     | payload: L bytes         |  ... next frame
///   +---------------+--------------------------+
/// ```
///
/// A state machine: `decode` returns a frame when one is complete and nil when
/// it needs more bytes. A length over `maxPayloadBytes` is refused before any
/// allocation. A large payload is copied into its own array as bytes arrive,
/// so the input buffer never has to hold a whole frame.
public struct LengthPrefixedFrameDecoder {
  private enum State {
    case header
    case payload(number: Int, offset: UInt64, bytes: [UInt8], filled: Int)
  }

  /// The largest payload accepted.
  public let maxPayloadBytes: Int
  private var state = State.header
  private var framesDecoded = 0
  /// The stream's first bytes, to explain a bad first frame.
  private var streamHead = StreamHead()

  public init(maxPayloadBytes: Int) {
    precondition(maxPayloadBytes >= 0, "maxPayloadBytes must not be negative, got \(maxPayloadBytes)")
    self.maxPayloadBytes = maxPayloadBytes
  }

  /// The next complete frame, or nil when `buffer` does not hold one yet.
  public mutating func decode(_ buffer: inout InputBuffer) throws(PipeError) -> Frame? {
    while true {
      switch state {
      case .header:
        let offset = buffer.streamOffset
        guard let rawLength = buffer.peekUInt32LE() else { return nil }
        let number = framesDecoded + 1
        if number == 1 { try streamHead.check(buffer, maxPayloadBytes: maxPayloadBytes) }
        guard let length = Int(exactly: rawLength), length <= maxPayloadBytes else {
          throw PipeError(
            .data,
            "frame \(number) (byte \(offset)): length \(rawLength) exceeds --max-frame-bytes \(maxPayloadBytes)"
          )
        }
        _ = buffer.readUInt32LE()
        if let payload = buffer.readBytes(length) {
          // The common case: the whole payload is buffered; copy it once.
          framesDecoded += 1
          return Frame(number: number, offset: offset, payload: payload)
        }
        // Not zeroed first: every byte is copied in before the frame is handed on (a truncated
        // frame is an error, never output), and zeroing cost as much as the copy.
        let bytes = [UInt8](unsafeUninitializedCapacity: length) { _, count in count = length }
        state = .payload(number: number, offset: offset, bytes: bytes, filled: 0)
      case .payload(let number, let offset, var bytes, var filled):
        state = .header  // drop our reference so `bytes` is uniquely owned while we fill it
        if filled < bytes.count {
          filled += bytes.withUnsafeMutableBytes { raw in
            buffer.readBytes(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
          }
        }
        if filled < bytes.count {
          state = .payload(number: number, offset: offset, bytes: bytes, filled: filled)
          return nil
        }
        framesDecoded += 1
        return Frame(number: number, offset: offset, payload: bytes)
      }
    }
  }

  /// Counts a frame another reader took from the same buffer, so the frames
  /// this decoder names next keep their place in the stream.
  public mutating func countFrameReadElsewhere() {
    framesDecoded += 1
  }

  /// Called at end of input: the last complete frame if any, nil when the
  /// stream ended cleanly on a frame boundary, or an error naming the
  /// truncated frame and where the stream ended.
  public mutating func decodeLast(_ buffer: inout InputBuffer, seenEOF: Bool) throws(PipeError) -> Frame? {
    if let frame = try decode(&buffer) { return frame }
    guard seenEOF else { return nil }
    switch state {
    case .header where buffer.readableBytes == 0:
      return nil
    case .header:
      let offset = buffer.streamOffset
      throw PipeError(
        .data,
        "frame \(framesDecoded + 1) (byte \(offset)): truncated: stream ended at byte \(offset + UInt64(buffer.readableBytes)) inside the 4-byte length"
      )
    case .payload(let number, let offset, let bytes, let filled):
      let hint = number == 1 ? streamHead.hint : ""
      throw PipeError(
        .data,
        "frame \(number) (byte \(offset)): truncated: stream ended at byte \(offset + 4 + UInt64(filled)), \(bytes.count - filled) of its \(bytes.count) payload bytes missing\(hint)"
      )
    }
  }
}

/// The first bytes of a stream read as raw frames. A text or compressed
/// stream read as frames is named for what it looks like, rather than
/// reported as an absurd first length (or allocated as one).
struct StreamHead {
  private var bytes: [UInt8] = []

  /// Notes the stream's first bytes (at frame 1's length prefix) and throws
  /// when they are text, or another known format whose "length" is over the limit.
  mutating func check(_ buffer: InputBuffer, maxPayloadBytes: Int) throws(PipeError) {
    bytes = buffer.withReadableBytes { Array($0.prefix(512)) }
    guard let guess = InputSniffer.describe(bytes, expected: "raw"), let length = buffer.peekUInt32LE() else {
      return
    }
    if length > maxPayloadBytes || InputSniffer.looksLikeText(bytes) {
      throw PipeError(.data, "frame 1 (byte 0): not a raw frame stream: the input looks like \(guess)")
    }
  }

  /// `; the input looks like ...` for an error about frame 1, or nothing.
  var hint: String { sniffedHint(bytes, expected: "raw") }
}

/// Encodes the raw frame format (see `LengthPrefixedFrameDecoder`).
public enum LengthPrefixedFrameEncoder {
  /// Appends the length prefix for a payload of `count` bytes.
  public static func appendHeader(count: Int, to output: inout [UInt8]) {
    precondition(
      count >= 0 && count <= Int(UInt32.max), "frame payload of \(count) bytes does not fit a u32 length")
    let length = UInt32(count).littleEndian
    withUnsafeBytes(of: length) { output.append(contentsOf: $0) }
  }
}
