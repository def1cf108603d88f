/// A record batch message in a pipeline batch: its parsed header and body,
/// with every buffer checked to lie inside the body.
struct ArrowBatchView {
  let header: ArrowRecordBatch
  let body: UnsafeRawBufferPointer
  /// The first buffer of each field node, then the number of buffers (see `ArrowArrayLayout`).
  let bufferStarts: [Int]

  /// - Parameters:
  ///   - payload: the batch's bytes: metadata, then the body from `bodyOffset`.
  ///   - layout: the arrays the schema calls for.
  init(payload: UnsafeRawBufferPointer, bodyOffset: Int, layout: ArrowArrayLayout) throws(PipeError) {
    let message: ArrowMessage
    do {
      message = try ArrowMessage.decode(UnsafeRawBufferPointer(rebasing: payload[..<bodyOffset]))
    } catch {
      throw PipeError(.data, "corrupt metadata at byte \(error.position) of the message: \(error.reason)")
    }
    guard case .recordBatch(let header, _) = message else {
      throw PipeError(.software, "a batch that is not a record batch reached a worker")
    }
    try self.init(
      header: header, body: UnsafeRawBufferPointer(rebasing: payload[bodyOffset...]), layout: layout)
  }

  /// A record batch (or a dictionary batch's data) whose body is `body`.
  init(header: ArrowRecordBatch, body: UnsafeRawBufferPointer, layout: ArrowArrayLayout) throws(PipeError) {
    if let codec = header.compression {
      throw PipeError(
        .data,
        "the body is compressed (\(codec)), which onnxpipe does not read (it links no \(codec == "ZSTD" ? "zstd" : "lz4") library); write the stream uncompressed (pyarrow: IpcWriteOptions(compression=None); Polars: compression='uncompressed')"
      )
    }
    bufferStarts = try layout.bufferStarts(header)
    self.body = body
    for (index, span) in header.buffers.enumerated() where span.offset + span.length > body.count {
      throw PipeError(
        .data,
        "buffer \(index) (offset \(span.offset), length \(span.length)) lies outside the \(body.count)-byte body"
      )
    }
    self.header = header
  }

  /// The bytes of buffer `index`.
  func buffer(_ index: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: body[header.buffers[index].range])
  }

  func node(_ index: Int) -> ArrowFieldNode {
    header.nodes[index]
  }
}
