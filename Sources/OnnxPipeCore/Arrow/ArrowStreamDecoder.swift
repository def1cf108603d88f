/// One message read from an Arrow IPC stream, metadata and body in one array.
struct ArrowStreamMessage {
  /// 1-based position of the message in the stream (the schema is message 1).
  let number: Int
  /// Byte offset in the stream where the message's prefix starts.
  let offset: UInt64
  let message: ArrowMessage
  /// The metadata (padded) followed by the body.
  var bytes: [UInt8]
  /// Where the body starts in `bytes`.
  let bodyOffset: Int

  /// "arrow message 3 (byte 1200)", for errors.
  var origin: String { "arrow message \(number) (byte \(offset))" }
}

/// Splits an Arrow IPC stream into messages.
///
/// ```
///   0xFFFFFFFF | metadata length L: i32 LE | Message (L bytes, padded) | body (Message.bodyLength bytes)
/// ```
///
/// The pre-1.0 framing without the 0xFFFFFFFF marker is accepted too. A zero
/// length ends the stream, as does end of input on a message boundary. Like
/// the raw frame decoder it is a state machine fed from an `InputBuffer`, and
/// refuses a length over `maxMessageBytes` before allocating.
struct ArrowStreamDecoder {
  private enum State {
    case prefix
    case metadata(number: Int, offset: UInt64, prefix: Int, length: Int)
    case body(ArrowStreamMessage, filled: Int)
    case ended
  }

  let maxMessageBytes: Int
  private var state = State.prefix
  private var messages = 0

  init(maxMessageBytes: Int) {
    self.maxMessageBytes = maxMessageBytes
  }

  /// Whether the end-of-stream marker was read.
  var sawEndMarker: Bool {
    if case .ended = state { return true }
    return false
  }

  /// The next complete message, or nil when more bytes are needed (or the stream ended).
  mutating func decode(_ buffer: inout InputBuffer) throws(PipeError) -> ArrowStreamMessage? {
    while true {
      switch state {
      case .ended:
        return nil
      case .prefix:
        let offset = buffer.streamOffset
        guard let first = buffer.peekUInt32LE() else { return nil }
        let number = messages + 1
        var prefix = 4
        var length = Int(Int32(bitPattern: first))
        if first == 0xFFFF_FFFF {
          guard buffer.readableBytes >= 8 else { return nil }
          prefix = 8
          length = buffer.withReadableBytes {
            Int(Int32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: Int32.self)))
          }
        }
        buffer.skip(prefix)
        if length == 0 {
          state = .ended
          return nil
        }
        guard length > 0, length <= maxMessageBytes else {
          throw PipeError(
            .data,
            "arrow message \(number) (byte \(offset)): metadata length \(length) is \(length < 0 ? "negative" : "over --max-frame-bytes \(maxMessageBytes)")"
          )
        }
        state = .metadata(number: number, offset: offset, prefix: prefix, length: length)
      case .metadata(let number, let offset, let prefix, let length):
        guard buffer.readableBytes >= length else {
          buffer.reserveWritable(length - buffer.readableBytes)
          return nil
        }
        let parsed = buffer.withReadableBytes { raw -> Result<ArrowMessage, FlatBufferError> in
          do throws(FlatBufferError) {
            return .success(try ArrowMessage.decode(UnsafeRawBufferPointer(rebasing: raw[..<length])))
          } catch {
            return .failure(error)
          }
        }
        let origin = "arrow message \(number) (byte \(offset))"
        let message: ArrowMessage
        switch parsed {
        case .success(let value): message = value
        case .failure(let error) where error.unsupported:
          // Valid metadata asking for what onnxpipe does not read: say so, not "corrupt".
          throw PipeError(.data, "\(origin): \(error.reason)")
        case .failure(let error):
          throw PipeError(
            .data,
            "\(origin): corrupt metadata at byte \(Int64(offset) + Int64(prefix + error.position)): \(error.reason)"
          )
        }
        guard message.bodyLength <= maxMessageBytes else {
          throw PipeError(
            .data, "\(origin): body length \(message.bodyLength) is over --max-frame-bytes \(maxMessageBytes)"
          )
        }
        var bytes = [UInt8](repeating: 0, count: length + message.bodyLength)
        _ = bytes.withUnsafeMutableBytes {
          buffer.readBytes(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<length]))
        }
        messages = number
        state = .body(
          ArrowStreamMessage(
            number: number, offset: offset, message: message, bytes: bytes, bodyOffset: length),
          filled: 0)
      case .body(var message, var filled):
        state = .prefix  // drop our reference so the bytes are uniquely owned while we fill them
        let start = message.bodyOffset
        let total = message.bytes.count - start
        if filled < total {
          filled += message.bytes.withUnsafeMutableBytes { raw in
            buffer.readBytes(into: UnsafeMutableRawBufferPointer(rebasing: raw[(start + filled)...]))
          }
        }
        if filled < total {
          state = .body(message, filled: filled)
          return nil
        }
        return message
      }
    }
  }

  /// Called at end of input: the last complete message, nil at a clean end,
  /// or an error naming the message cut short and where the stream ended.
  mutating func decodeLast(_ buffer: inout InputBuffer) throws(PipeError) -> ArrowStreamMessage? {
    if let message = try decode(&buffer) { return message }
    let end = buffer.streamOffset + UInt64(buffer.readableBytes)
    switch state {
    case .ended: return nil
    case .prefix where buffer.readableBytes == 0: return nil
    case .prefix:
      throw PipeError(
        .data,
        "arrow message \(messages + 1) (byte \(buffer.streamOffset)): truncated: stream ended at byte \(end) inside the message prefix"
      )
    case .metadata(let number, let offset, _, let length):
      throw PipeError(
        .data,
        "arrow message \(number) (byte \(offset)): truncated: stream ended at byte \(end), inside the \(length)-byte metadata"
      )
    case .body(let message, let filled):
      let total = message.bytes.count - message.bodyOffset
      throw PipeError(
        .data,
        "\(message.origin): truncated: stream ended at byte \(end), \(total - filled) of its \(total) body bytes missing"
      )
    }
  }
}
