extension RawFormat {
  /// Appends one output frame (length prefix and payload) for `outputs`, the
  /// engine's results for a frame of `rows` rows, to `frame`.
  ///
  /// The payload is each selected output's block in order; when any of them
  /// is a string tensor it starts with the u32 row count and strings are
  /// length-prefixed, mirroring the input layout.
  public func appendFrame(outputs results: [OutputTensor], rows: Int, to frame: inout [UInt8])
    throws(PipeError)
  {
    precondition(
      results.count == outputs.count, "expected \(outputs.count) outputs, engine returned \(results.count)")
    var payloadBytes = outputHasStrings ? 4 : 0
    for result in results {
      switch result.contents {
      case .bytes(let bytes): payloadBytes += bytes.count
      case .strings(let strings): payloadBytes += strings.reduce(0) { $0 + 4 + $1.utf8.count }
      case .maps: throw PipeError(.software, "raw frames carry tensors only, the engine returned a map")
      }
    }
    guard payloadBytes <= Int(UInt32.max) else {
      throw PipeError(.data, "output payload of \(payloadBytes) bytes exceeds the 4 GiB frame limit")
    }
    frame.reserveCapacity(frame.count + 4 + payloadBytes)
    LengthPrefixedFrameEncoder.appendHeader(count: payloadBytes, to: &frame)
    if outputHasStrings { appendUInt32LE(UInt32(rows), to: &frame) }
    for result in results {
      switch result.contents {
      case .bytes(let bytes): frame.append(contentsOf: bytes)
      case .strings(let strings):
        for string in strings {
          appendUInt32LE(UInt32(string.utf8.count), to: &frame)
          frame.append(contentsOf: string.utf8)
        }
      case .maps: break
      }
    }
  }
}

/// Appends `value` as 4 little-endian bytes.
func appendUInt32LE(_ value: UInt32, to bytes: inout [UInt8]) {
  withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}
