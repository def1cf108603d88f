/// A record batch message in a pipeline batch: its parsed header and body,
/// with every buffer checked to lie inside the body.
struct ArrowBatchView {
  let header: ArrowRecordBatch
  let body: UnsafeRawBufferPointer

  /// - Parameters:
  ///   - payload: the batch's bytes: metadata, then the body from `bodyOffset`.
  ///   - nodes, buffers: how many field nodes and buffers the schema calls for.
  init(payload: UnsafeRawBufferPointer, bodyOffset: Int, nodes: Int, buffers: Int) throws(PipeError) {
    let message: ArrowMessage
    do {
      message = try ArrowMessage.decode(UnsafeRawBufferPointer(rebasing: payload[..<bodyOffset]))
    } catch {
      throw PipeError(.data, "corrupt metadata at byte \(error.position) of the message: \(error.reason)")
    }
    guard case .recordBatch(let header, _) = message else {
      throw PipeError(.software, "a batch that is not a record batch reached a worker")
    }
    if let codec = header.compression {
      throw PipeError(
        .data,
        "the body is compressed (\(codec)), which onnxpipe does not support; write the stream uncompressed")
    }
    guard header.nodes.count == nodes, header.buffers.count == buffers else {
      throw PipeError(
        .data,
        "the record batch has \(header.nodes.count) field nodes and \(header.buffers.count) buffers; the schema calls for \(nodes) and \(buffers)"
      )
    }
    body = UnsafeRawBufferPointer(rebasing: payload[bodyOffset...])
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
