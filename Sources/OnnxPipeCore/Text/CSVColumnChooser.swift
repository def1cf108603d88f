/// Decides which CSV columns feed which model inputs.
///
/// In order of precedence: `--columns` (names, filling the inputs in model
/// order); `--input NAME=COLUMN` and header names that are input names, or
/// become them by skl2onnx's rule (`ColumnNames`, for one-element inputs);
/// otherwise a single input takes every numeric column (judged by the first
/// data record) in order, or every text column if it is a string input.
struct CSVColumnChooser {
  let inputs: [InputRow]
  let header: [[UInt8]]
  let firstRecord: [UInt8]?
  let mapping: InputMapping

  func choose() throws(PipeError) -> [[Int]] {
    let names = header.map { String(decoding: $0, as: UTF8.self) }
    func index(of name: String) throws(PipeError) -> Int {
      guard let found = names.firstIndex(of: name) else {
        throw PipeError(
          .usage, "CSV header has no column '\(name)' (it has: \(names.joined(separator: ", ")))")
      }
      return found
    }
    if let columns = mapping.columns {
      var indices: [Int] = []
      for name in columns { indices.append(try index(of: name)) }
      let needed = inputs.reduce(0) { $0 + $1.rowElements }
      guard indices.count == needed else {
        throw PipeError(
          .usage, "--columns names \(indices.count) columns; the model's inputs take \(needed) values a row")
      }
      var chosen: [[Int]] = []
      var start = 0
      for input in inputs {
        chosen.append(Array(indices[start..<start + input.rowElements]))
        start += input.rowElements
      }
      return chosen
    }
    var matched: [Int?] = []
    if inputs.count > 1 || !mapping.fields.isEmpty || inputs[0].rowElements == 1 {
      for input in inputs {
        if let field = mapping.fields[input.name] {
          matched.append(try index(of: FieldPath.name(field)))
        } else {
          matched.append(try ColumnNames.find(input.name, in: names, kind: "CSV column"))
        }
      }
      if !matched.contains(nil) {
        var chosen: [[Int]] = []
        for (input, column) in zip(inputs, matched) {
          guard input.rowElements == 1 else {
            throw PipeError(
              .usage,
              "input '\(input.name)' takes \(input.rowElements) values a row; name its columns with --columns"
            )
          }
          chosen.append([column!])
        }
        return chosen
      }
    }
    guard inputs.count == 1 else {
      let used = Set(matched.compactMap { $0 })
      let unmapped = zip(inputs, matched).filter { $0.1 == nil }.map(\.0)
      // One column feeds a one-value input only: --input cannot name the columns of a wider one.
      let wide = unmapped.first { $0.rowElements > 1 }
      throw PipeError(
        .usage,
        ColumnNames.unmapped(
          inputs: unmapped.map(\.name), unused: names.indices.filter { !used.contains($0) }.map { names[$0] },
          kind: "CSV column", placeholder: "COLUMN",
          advice: wide.map {
            "input '\($0.name)' takes \($0.rowElements) values a row: name the columns of every input, in model order, with --columns"
          }) + (wide == nil ? " or --columns" : ""))
    }
    let input = inputs[0]
    guard firstRecord != nil else {
      // A header and no data (DuckDB's COPY of an empty result): nothing to judge the columns by
      // and nothing to score. The stream ends as one whose columns were named does: exit 0.
      return [Array(header.indices.prefix(input.rowElements))]
    }
    let numeric = numericColumns()
    var wanted = input.element == .string ? header.indices.filter { !numeric.contains($0) } : numeric
    if input.element != .string, wanted.count != input.rowElements {
      // A first record with gaps: its missing values count as numbers when that makes the count.
      let withGaps = numericColumns(countingMissing: true)
      if withGaps.count == input.rowElements { wanted = withGaps }
    }
    guard wanted.count == input.rowElements else {
      let kind = input.element == .string ? "text" : "numeric"
      let listed = wanted.map { names[$0] }.joined(separator: ", ")
      throw PipeError(
        .usage,
        "input '\(input.name)' takes \(input.rowElements) values a row but the CSV has \(wanted.count) \(kind) column\(wanted.count == 1 ? "" : "s") (\(listed)); choose them with --columns"
      )
    }
    return [wanted]
  }

  /// Columns whose value in the first data record is a number (or, when
  /// `countingMissing`, a missing value: empty or one of `MissingValuePolicy.csvSpellings`).
  private func numericColumns(countingMissing: Bool = false) -> [Int] {
    guard let firstRecord else { return [] }
    return firstRecord.withUnsafeBytes { raw in
      guard let fields = try? CSVRecord.fields(raw) else { return [] }
      return fields.indices.filter { index in
        let value = CSVRecord.value(fields[index], in: raw)
        if countingMissing && CSVRecordDecoder.missingSpelling(value) != nil { return true }
        return value.withUnsafeBytes { NumberParser.scan($0) != nil }
      }
    }
  }
}
