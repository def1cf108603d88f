/// Null values as missing values: the input's fill (NaN, or `--missing
/// NAME=VALUE`) goes where the leaf array has a null, since its slot there
/// holds no value (pyarrow leaves zeros, other writers anything).
extension ArrowColumnReader {
  /// Whether the leaf array holds nulls.
  var leafHasNulls: Bool { view.node(plan.nodes[plan.nodes.count - 1]).nullCount > 0 }

  /// Whether leaf element `index` is null (only when `leafHasNulls`: the
  /// bitmap's length was checked against the leaf's values then).
  func isNullLeaf(_ index: Int) -> Bool {
    let bits = view.buffer(plan.buffers[plan.buffers.count - 1])
    return bits[index >> 3] & (1 << UInt8(index & 7)) == 0
  }

  /// Writes `fill`, one element's bytes, over row `row`'s null values in its
  /// converted values at `destination`.
  func fillNulls(row: Int, with fill: [UInt8], at destination: UnsafeMutableRawPointer) {
    guard leafHasNulls else { return }
    let start = leafStart(row)
    fill.withUnsafeBytes { element in
      for offset in 0..<rowElements where isNullLeaf(start + offset) {
        (destination + offset * element.count).copyMemory(
          from: element.baseAddress!, byteCount: element.count)
      }
    }
  }

  /// Row `row`'s strings, each null value replaced by a string input's fill.
  func strings(_ row: Int, filling fill: MissingFill) -> [String] {
    let strings = rowStrings[row]!
    guard case .string(let value) = fill, leafHasNulls else { return strings }
    let start = leafStart(row)
    return strings.indices.map { isNullLeaf(start + $0) ? value : strings[$0] }
  }
}
