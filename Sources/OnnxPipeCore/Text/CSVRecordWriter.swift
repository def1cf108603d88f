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
    for spec in outputs {
      let names: [String]
      if let keys = spec.mapKeys {
        names = keys.map { "\(spec.name)_\($0)" }
      } else if let elements = spec.rowElements, elements != 1 || spec.isMap {
        names = (0..<elements).map { "\(spec.name)_\($0)" }
      } else {
        names = [spec.name]
      }
      for name in names {
        if needsComma { out.append(UInt8(ascii: ",")) }
        needsComma = true
        CSVRecord.appendField(Array(name.utf8), to: &out)
      }
    }
    out.append(0x0A)
    return out
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
