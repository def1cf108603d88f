/// CSV output: a header, then one row per input record.
extension TextFormat {
  /// The CSV header line of the output, or nothing for NDJSON.
  public func outputHeader() -> [UInt8] {
    guard output == .csv else { return [] }
    var out: [UInt8] = []
    var needsComma = false
    if keep {
      if input == .csv {
        out.append(contentsOf: csvHeaderRecord)
      } else {
        out.append(contentsOf: "line".utf8)
      }
      needsComma = true
    }
    for name in outputColumnNames() {
      if needsComma { out.append(UInt8(ascii: ",")) }
      needsComma = true
      CSVRecord.appendField(Array(name.utf8), to: &out)
    }
    out.append(0x0A)
    return out
  }

  /// The names the outputs are written under: NDJSON keys, or CSV columns (one per element or map key).
  func outputColumnNames() -> [String] {
    outputs.flatMap(columnNames)
  }

  /// The names one output is written under: its NDJSON key, or its CSV columns.
  private func columnNames(_ spec: TextOutput) -> [String] {
    guard output == .csv else { return [spec.name] }
    if let keys = spec.mapKeys { return keys.map { "\(spec.name)_\($0)" } }
    if let elements = spec.rowElements, elements != 1 || spec.isMap {
      return (0..<elements).map { "\(spec.name)_\($0)" }
    }
    return [spec.name]
  }

  /// Refuses names an output record would hold twice (`WrittenNames`): the
  /// `--model-field` name given to an output column too, or with `--keep` a
  /// kept CSV column or the `line` key named like an output or the model
  /// field. (NDJSON records are checked one by one, as their keys are read.)
  public func checkWrittenNames() throws(PipeError) {
    var kept: [String] = []
    if keep && input == .csv { kept = csvHeader.map { String(decoding: $0, as: UTF8.self) } }
    if keep && input == .lines { kept = ["line"] }
    try WrittenNames.check(
      outputs: outputs.map { WrittenNames.Output(names: columnNames($0), isModelField: $0.isModelField) },
      kept: kept, keptWhat: input == .csv ? "the CSV column" : "the key")
  }

  /// One CSV output record: the kept input columns with `--keep`, then one field per output element.
  func appendCSVRecord(
    original: UnsafeRawBufferPointer, keepOriginal: Bool, results: UnsafeBufferPointer<OutputRows>?,
    row: Int, to out: inout [UInt8]
  ) {
    var needsComma = false
    if keep {
      switch input {
      case .csv:
        if keepOriginal {
          out.append(contentsOf: original)
        } else {
          out.append(contentsOf: repeatElement(UInt8(ascii: ","), count: max(csvHeader.count - 1, 0)))
        }
      default: CSVRecord.appendField(original, to: &out)
      }
      needsComma = true
    }
    for (position, spec) in outputs.enumerated() {
      let columns = spec.mapKeys?.count ?? spec.rowElements ?? 1
      if let results {
        if needsComma { out.append(UInt8(ascii: ",")) }
        appendCSV(results, position, spec: spec, row: row, to: &out)
      } else {
        let commas = needsComma ? columns : columns - 1
        out.append(contentsOf: repeatElement(UInt8(ascii: ","), count: max(commas, 0)))
      }
      needsComma = true
    }
    out.append(0x0A)
  }

  /// Row `row` of output `position` as comma-separated CSV fields.
  private func appendCSV(
    _ results: UnsafeBufferPointer<OutputRows>, _ position: Int, spec: TextOutput, row: Int,
    to out: inout [UInt8]
  ) {
    let element = results[position].element
    let elements = results[position].rowElements
    switch results[position].storage {
    case .raw(let raw):
      for index in 0..<elements {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        ValueText.appendNumber(element, raw, row * elements + index, to: &out)
      }
    case .maps:
      let entries = results[position].maps[row]
      for (index, key) in (spec.mapKeys ?? entries.map(\.key)).enumerated() {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        if let entry = entries.first(where: { $0.key == key }) {
          ValueText.appendFloat(entry.value, single: element == .float32, &out)
        }
      }
    case .strings:
      for index in 0..<elements {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        CSVRecord.appendField(Array(results[position].strings[row * elements + index].utf8), to: &out)
      }
    }
  }
}
