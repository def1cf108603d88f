/// Reads an Arrow IPC stream from a file descriptor: the schema first
/// (`readSchema`, before the pipeline starts), then one batch per record batch,
/// each with the stream's dictionaries as they stand at it.
public struct ArrowBatchSource: BatchSource {
  private let input: FileDescriptor
  private var buffer: InputBuffer
  private var decoder: ArrowStreamDecoder
  private var seenEOF = false
  private let readSize: Int
  private var batches = 0
  private var schemaRead = false
  private var dictionaries: ArrowDictionaryTracker?

  /// - Parameter maxMessageBytes: the largest metadata or body accepted (`--max-frame-bytes`).
  public init(input: FileDescriptor, maxMessageBytes: Int, readSize: Int = 1 << 18) {
    self.input = input
    self.readSize = readSize
    buffer = InputBuffer(capacity: readSize)
    decoder = ArrowStreamDecoder(maxMessageBytes: maxMessageBytes)
  }

  /// The stream's schema, or nil for an empty input (no bytes at all, or only the end marker).
  public mutating func readSchema() throws(PipeError) -> ArrowSchema? {
    precondition(!schemaRead, "the schema is read once")
    schemaRead = true
    guard let first = try nextMessage() else { return nil }
    guard case .schema(let schema) = first.message else {
      throw PipeError(.data, "\(first.origin): the stream must start with a schema message")
    }
    dictionaries = ArrowDictionaryTracker(schema: schema)
    return schema
  }

  public mutating func next() throws(PipeError) -> Batch? {
    precondition(schemaRead, "readSchema() comes first")
    while let next = try nextMessage() {
      switch next.message {
      case .recordBatch:
        batches += 1
        var batch = Batch(
          origin: BatchOrigin(unit: .batch, number: batches, byteOffset: next.offset), payload: next.bytes,
          bodyOffset: next.bodyOffset)
        if dictionaries?.isEmpty == false { batch.arrowDictionaries = dictionaries?.take() }
        return batch
      case .dictionaryBatch:
        try dictionaries?.add(next)
      case .schema:
        throw PipeError(.data, "\(next.origin): a second schema message; one stream has one schema")
      case .other(let kind, _):
        throw PipeError(
          .data,
          "\(next.origin): \(kind) messages do not belong in a record batch stream; onnxpipe reads record batches"
        )
      }
    }
    return nil
  }

  private mutating func nextMessage() throws(PipeError) -> ArrowStreamMessage? {
    while true {
      if let message = try seenEOF ? decoder.decodeLast(&buffer) : decoder.decode(&buffer) { return message }
      if decoder.sawEndMarker || seenEOF { return nil }
      try fill()
    }
  }

  /// After the end-of-stream marker the input must end as well: a second stream (`cat a b`) or
  /// stray bytes there would otherwise be dropped without a word. Reads on to the end of input;
  /// the pipeline calls it once the output, end marker included, is written, so a producer that
  /// reads that before it closes our input is not kept waiting.
  public mutating func finishInput() throws(PipeError) {
    guard decoder.sawEndMarker else { return }
    while buffer.readableBytes == 0 && !seenEOF { try fill() }
    guard buffer.readableBytes == 0 else {
      throw PipeError(
        .data,
        "arrow stream (byte \(buffer.streamOffset)): the input goes on after the end-of-stream marker; --in arrow reads one stream (join streams first, e.g. with pyarrow)"
      )
    }
  }

  private mutating func fill() throws(PipeError) {
    let count = try buffer.read(from: input, minimum: readSize)
    if count == 0 { seenEOF = true }
  }
}
