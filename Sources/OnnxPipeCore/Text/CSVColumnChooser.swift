/// Decides which CSV columns feed which model inputs.
///
/// In order of precedence: `--columns` (names, filling the inputs in model
/// order); `--input NAME=COLUMN` and header names equal to input names (for
/// one-element inputs); otherwise a single input takes every numeric column
/// (judged by the first data record) in order, or every text column if it is
/// a string input.
struct CSVColumnChooser {
  let inputs: [TextInput]
  let header: [[UInt8]]
  let firstRecord: [UInt8]?
  let mapping: TextFormat.Mapping

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
    let named = inputs.allSatisfy { mapping.fields[$0.name] != nil || names.contains($0.name) }
    if named && (inputs.count > 1 || !mapping.fields.isEmpty || inputs[0].rowElements == 1) {
      var chosen: [[Int]] = []
      for input in inputs {
        guard input.rowElements == 1 else {
          throw PipeError(
            .usage,
            "input '\(input.name)' takes \(input.rowElements) values a row; name its columns with --columns")
        }
        chosen.append([try index(of: mapping.fields[input.name] ?? input.name)])
      }
      return chosen
    }
    guard inputs.count == 1 else {
      throw PipeError(
        .usage,
        "the model has \(inputs.count) inputs; map CSV columns to them with --columns or --input NAME=COLUMN")
    }
    let input = inputs[0]
    let numeric = numericColumns()
    let wanted = input.element == .string ? header.indices.filter { !numeric.contains($0) } : numeric
    guard wanted.count == input.rowElements else {
      let kind = input.element == .string ? "text" : "numeric"
      let listed = wanted.map { names[$0] }.joined(separator: ", ")
      throw PipeError(
        .usage,
        "input '\(input.name)' takes \(input.rowElements) values a row but the CSV has \(wanted.count) \(kind) columns (\(listed)); choose them with --columns"
      )
    }
    return [wanted]
  }

  /// Columns whose value in the first data record is a number.
  private func numericColumns() -> [Int] {
    guard let firstRecord else { return [] }
    return firstRecord.withUnsafeBytes { raw in
      guard let fields = try? CSVRecord.fields(raw) else { return [] }
      return fields.indices.filter { index in
        let value = CSVRecord.value(fields[index], in: raw)
        return value.withUnsafeBytes { NumberParser.scan($0) != nil }
      }
    }
  }
}
