/// Writes raw frames: for each input frame (or each batch of records, when the
/// input is not raw frames) one frame holding each selected output's block.
public struct RawFrameWriter: RecordWriter {
  public let format: RawFormat

  public init(format: RawFormat) {
    self.format = format
  }

  public var outputIndices: [Int] { format.outputs.map(\.index) }
  public var preamble: [UInt8] { [] }
  public var joinsSlices: Bool { true }
  public var needsRowOutputs: Bool { false }

  public func append(
    _ results: [OutputTensor]?, records: OutputRecords, decoded: DecodedRecords, to out: inout [UInt8]
  ) throws(PipeError) {
    // Raw frames hold no nulls (`--on-error null` is refused with them), so the output
    // records are the scored rows, in order: the results themselves.
    guard let results else {
      // Nothing scored: an empty frame for each input frame (a text batch's records all rejected: none).
      if decoded.isUnit {
        for _ in decoded.groups ?? [0] { try format.appendFrame(outputs: emptyOutputs(), rows: 0, to: &out) }
      }
      return
    }
    let outputs = format.densified(results)
    guard let groups = decoded.groups else {
      return try format.appendFrame(outputs: outputs, rows: decoded.rows, to: &out)
    }
    let total = decoded.rows
    guard outputs.allSatisfy({ $0.rowCount == total }) else {
      throw PipeError(.data, "the outputs do not have a row per input row of the merged frames")
    }
    var start = 0
    if format.outputHasStrings {
      for rows in groups {
        try format.appendFrame(outputs: outputs.map { $0.rows(start..<start + rows) }, rows: rows, to: &out)
        start += rows
      }
      return
    }
    // Numeric outputs: each frame's rows of each block, copied straight out.
    let blocks = outputs.map { output -> [UInt8] in
      if case .bytes(let block) = output.contents { return block }
      return []
    }
    let outputRowBytes = blocks.map { total == 0 ? 0 : $0.count / total }
    let frameRowBytes = outputRowBytes.reduce(0, +)
    out.reserveCapacity(out.count + groups.count * 4 + blocks.reduce(0) { $0 + $1.count })
    for rows in groups {
      LengthPrefixedFrameEncoder.appendHeader(count: rows * frameRowBytes, to: &out)
      for (block, width) in zip(blocks, outputRowBytes) {
        out.append(contentsOf: block[(start * width)..<((start + rows) * width)])
      }
      start += rows
    }
  }

  /// A frame of numeric outputs for one input frame (or batch) goes out as its header in `out`
  /// and each output's array, as the model wrote it, in `blocks`: no copy.
  public func append(
    _ results: [OutputTensor]?, records: OutputRecords, decoded: DecodedRecords, to out: inout [UInt8],
    blocks: inout [[UInt8]]
  ) throws(PipeError) {
    // Anything else (merged frames, strings, ZipMap maps, a payload past 4 GiB) as `append` makes it.
    let arrays = results?.compactMap { result -> [UInt8]? in
      if case .bytes(let block) = result.contents { block } else { nil }
    }
    let payloadBytes = arrays?.reduce(0) { $0 + $1.count } ?? 0
    guard let results, let arrays, arrays.count == results.count, decoded.groups == nil,
      !format.outputHasStrings, payloadBytes <= Int(UInt32.max)
    else { return try append(results, records: records, decoded: decoded, to: &out) }
    LengthPrefixedFrameEncoder.appendHeader(count: payloadBytes, to: &out)
    blocks += arrays
  }

  public func appendJoined(_ results: [OutputTensor], rows: Int, to out: inout [UInt8]) throws(PipeError) {
    do { try format.appendFrame(outputs: format.densified(results), rows: rows, to: &out) } catch {
      throw PipeError(.software, "joining the slices of a frame: \(error)")
    }
  }

  private func emptyOutputs() -> [OutputTensor] {
    format.outputs.map { slot in
      OutputTensor(
        element: slot.element, shape: [0] + slot.rowShape,
        contents: slot.element == .string ? .strings([]) : .bytes([]))
    }
  }
}
