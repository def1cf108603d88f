extension ArrowInputLayout {
  /// The column that feeds `input`: the one `--input` names (`FieldPath`
  /// escapes undone), else the one of its name or the one that becomes its
  /// name by skl2onnx's rule (`ColumnNames`); nil when none does.
  static func column(for input: String, fields: [String: String], in names: [String]) throws(PipeError)
    -> Int?
  {
    if let field = fields[input] { return names.firstIndex(of: FieldPath.name(field)) }
    return try ColumnNames.find(input, in: names, kind: "column")
  }

  /// The error for `input`, which found no column (`wanted`): with a
  /// multi-input model, every input that found none and every column that fed none.
  static func unmapped(
    _ input: InputRow, _ wanted: String, inputs: [InputRow], fields: [String: String], names: [String]
  ) -> PipeError {
    if fields[input.name] != nil || inputs.count == 1 {
      return PipeError(
        .model,
        "the stream has no column '\(wanted)' for input '\(input.name)' (columns: \(names.joined(separator: ", "))); map one with --input \(input.name)=COLUMN"
      )
    }
    var missing: [String] = []
    var used: Set<Int> = []
    for other in inputs {
      if let column = try? column(for: other.name, fields: fields, in: names) {
        used.insert(column)
      } else {
        missing.append(other.name)
      }
    }
    return PipeError(
      .model,
      ColumnNames.unmapped(
        inputs: missing, unused: names.indices.filter { !used.contains($0) }.map { names[$0] },
        kind: "column",
        placeholder: "COLUMN"))
  }
}
