/// `--keep`: input arrays copied into the output byte for byte, and the
/// dictionary batches they need written again before them.
extension ArrowOutputWriter {
  /// The dictionary batches read since the previous record batch, written
  /// again (replacements and deltas as they came) when columns are kept:
  /// `--keep` keeps every input column, so it needs every dictionary.
  func dictionaryMessages(_ dictionaries: ArrowDictionaries?) throws(PipeError) -> [UInt8] {
    guard !kept.isEmpty, let fresh = dictionaries?.fresh, !fresh.isEmpty else { return [] }
    var out: [UInt8] = []
    for chunk in fresh {
      var builder = ArrowBodyBuilder(capacity: chunk.view.body.count)
      let variadic: [Int]
      do {
        variadic = try Self.copyArrays(
          of: chunk.view, layout: chunk.layout, nodes: 0..<chunk.layout.nodes.count, into: &builder)
      } catch {
        throw PipeError(error.kind, "\(chunk.origin): dictionary \(chunk.id): \(error.message)")
      }
      out += builder.dictionaryMessage(
        id: chunk.id, isDelta: chunk.isDelta, rows: chunk.count, variadicBufferCounts: variadic)
    }
    return out
  }

  /// Copies the field nodes `nodes` of `input` and their buffers into `builder`;
  /// returns the variadic buffer counts of the view arrays among them.
  ///
  /// The output is written as metadata V5, so a V4 union loses the validity
  /// bitmap V5 dropped (V5 unions have no nulls of their own).
  static func copyArrays(
    of input: ArrowBatchView, layout: ArrowArrayLayout, nodes: Range<Int>,
    into builder: inout ArrowBodyBuilder
  ) throws(PipeError) -> [Int] {
    var variadic: [Int] = []
    for node in nodes {
      let array = layout.nodes[node]
      var first = input.bufferStarts[node]
      var nulls = input.node(node).nullCount
      if array.legacyUnionValidity {
        guard nulls == 0 else {
          throw PipeError(
            .data,
            "a union array has \(nulls) nulls of its own, which metadata V4 allowed and the V5 output cannot hold; write the input with Arrow 1.0 or later"
          )
        }
        first += 1
        nulls = 0
      }
      builder.appendNode(length: input.node(node).length, nullCount: nulls)
      for buffer in first..<input.bufferStarts[node + 1] { builder.appendBuffer(input.buffer(buffer)) }
      if array.variadic {
        variadic.append(input.bufferStarts[node + 1] - input.bufferStarts[node] - array.fixedBuffers)
      }
    }
    return variadic
  }
}
