/// Rows of different lengths in one batch: NDJSON records whose input has a
/// free dimension sized record by record (token sequences). A tensor holds
/// rows of one shape, so the rows are run in groups of equal lengths and the
/// outputs put back in record order.
extension TextRecordReader {
  /// Runs `rows` rows of `columns`; `rowEnds[i]` holds, for a ragged column,
  /// the element count after each row (nil for the others).
  static func runRagged(
    _ columns: [Column], rowEnds: [[Int]?], rows: Int, engine: any InferenceEngine, outputs: [Int]
  ) throws -> [OutputTensor] {
    // Each row's lengths, in elements, of the ragged columns; rows grouped by them in order of appearance.
    func span(_ column: Int, _ row: Int) -> Range<Int> {
      guard let ends = rowEnds[column] else {
        let width = columns[column].input.rowElements
        return row * width..<(row + 1) * width
      }
      return (row == 0 ? 0 : ends[row - 1])..<ends[row]
    }
    let raggedColumns = columns.indices.filter { rowEnds[$0] != nil }
    let groups = RowGroups(rows: rows) { row in raggedColumns.map { span($0, row).count } }
    var results: [[OutputTensor]] = []
    for members in groups.members {
      let inputs = columns.indices.map { index in
        gather(columns[index], rows: members, span: { span(index, $0) })
      }
      results.append(try inputs.withBorrowedTensors { try engine.run($0, outputs: outputs) })
    }
    return try groups.reassemble(results)
  }

  /// The rows `rows` of `column`, copied together, shaped `[rows.count, length, ...]`.
  private static func gather(_ column: Column, rows: [Int], span: (Int) -> Range<Int>) -> OwnedInput {
    let input = column.input
    let elements = span(rows[0]).count
    var shape = [rows.count] + input.rowShape
    if let stride = input.raggedStride, !shape.dropFirst().isEmpty { shape[1] = elements / max(stride, 1) }
    if input.element == .string {
      let strings = rows.flatMap { column.strings[span($0)] }
      return OwnedInput(element: .string, shape: shape, bytes: [], strings: strings)
    }
    let width = input.element.byteWidth!
    let bytes = column.withUnsafeBytes { raw -> [UInt8] in
      var out: [UInt8] = []
      out.reserveCapacity(rows.count * elements * width)
      for row in rows {
        let range = span(row)
        out.append(contentsOf: raw[(range.lowerBound * width)..<(range.upperBound * width)])
      }
      return out
    }
    return OwnedInput(element: input.element, shape: shape, bytes: bytes, strings: [])
  }
}
