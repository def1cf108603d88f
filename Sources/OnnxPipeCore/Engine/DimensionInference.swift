/// Free row dimensions sized by the data: a text row or an Arrow column
/// shows how many values it holds, and that fixes an input's one free
/// dimension (`[batch, seq]` token models, skl2onnx's `[None, None]`).
extension ModelSignature {
  /// `pinned` plus, for each input with exactly one free row dimension not
  /// pinned, its size: `valuesPerRow(input)` (the values a row of the data
  /// holds for that input, nil when unknown) over the product of its other
  /// dimensions. Keys are `INPUT:AXIS`, the form `--dim` takes.
  public func dimensionsFromData(pinned: [String: Int], valuesPerRow: (String) -> Int?) -> [String: Int] {
    var result = pinned
    for spec in inputs {
      guard case .tensor(_, let shape) = spec.kind, shape.count > 1 else { continue }
      var known = 1
      var free: [Int] = []
      for (axis, dim) in shape.enumerated().dropFirst() {
        switch dim {
        case .fixed(let size): known *= size
        case .symbolic(let name):
          if let size = pinned["\(spec.name):\(axis)"] ?? (name.isEmpty ? nil : pinned[name]) {
            known *= size
          } else {
            free.append(axis)
          }
        }
      }
      guard free.count == 1, known > 0, let values = valuesPerRow(spec.name), values > 0, values % known == 0
      else { continue }
      result["\(spec.name):\(free[0])"] = values / known
    }
    return result
  }
}

extension NDJSONRecordDecoder {
  /// How many values the field at `path` (dotted; nil: the whole record, a
  /// bare array) holds in `record`: 1 for a scalar, every number of nested
  /// arrays; nil when absent or not JSON.
  static func valueCount(in record: [UInt8], path: String?) -> Int? {
    let keys =
      path.map { FieldPath.components($0).map { Array($0.utf8) } } ?? []
    return record.withUnsafeBytes { raw -> Int? in
      var scanner = JSONScanner(raw)
      do throws(RecordError) {
        for (depth, key) in keys.enumerated() {
          try scanner.expect(UInt8(ascii: "{"), "'{'")
          var found = false
          while !found {
            let name = try scanner.readString()
            try scanner.expect(UInt8(ascii: ":"), "':'")
            if scanner.string(name, equals: key) {
              found = true
            } else {
              try scanner.skipValue(depth: depth + 1)
              guard try scanner.endOfMember(close: UInt8(ascii: "}"), "',' or '}'") else { return nil }
            }
          }
        }
        return try countValues(&scanner, depth: keys.count)
      } catch {
        return nil
      }
    }
  }

  private static func countValues(_ scanner: inout JSONScanner, depth: Int) throws(RecordError) -> Int {
    guard scanner.peek() == UInt8(ascii: "[") else {
      try scanner.skipValue(depth: depth)
      return 1
    }
    try scanner.expect(UInt8(ascii: "["), "'['")
    if scanner.peek() == UInt8(ascii: "]") { return 0 }
    var total = 0
    repeat {
      total += try countValues(&scanner, depth: depth + 1)
    } while try scanner.endOfMember(close: UInt8(ascii: "]"), "',' or ']'")
    return total
  }
}

extension CSVRecord {
  /// How many fields of `record` are numbers (the values a one-input model's row takes by default).
  static func numericFieldCount(_ record: [UInt8]) -> Int {
    record.withUnsafeBytes { raw in
      guard let fields = try? fields(raw) else { return 0 }
      return fields.filter { field in value(field, in: raw).withUnsafeBytes { NumberParser.scan($0) != nil } }
        .count
    }
  }
}

extension ArrowSchema {
  /// The values a row of column `name` holds: 1 for a primitive column, the
  /// product of the sizes of nested fixed-size lists; nil for other columns.
  func valuesPerRow(column name: String) -> Int? {
    guard let field = fields.first(where: { $0.name == name }) else { return nil }
    var values = 1
    var current = field
    while case .fixedSizeList(let size) = current.type, let child = current.children.first {
      values *= Int(size)
      current = child
    }
    return current.children.isEmpty && current.type.element != nil ? values : nil
  }
}

extension InputMapping {
  /// Sizes the free row dimensions the first data record of a text stream
  /// shows (an NDJSON field's values, or a one-input model's CSV columns:
  /// `--columns`, else the numeric ones), adding them to `pinnedDimensions`
  /// and naming them in `dataSizedDimensions`.
  public mutating func sizeDimensions(signature: ModelSignature, input: TextInputFormat, firstRecord: [UInt8])
  {
    let single = signature.inputs.count == 1
    let sized: [String: Int]
    switch input {
    case .ndjson:
      sized = signature.dimensionsFromData(pinned: pinnedDimensions) { name in
        NDJSONRecordDecoder.valueCount(in: firstRecord, path: fields[name] ?? FieldPath.escaped(name))
          ?? (single ? NDJSONRecordDecoder.valueCount(in: firstRecord, path: nil) : nil)
      }
    case .csv where single:
      sized = signature.dimensionsFromData(pinned: pinnedDimensions) { _ in
        columns?.count ?? CSVRecord.numericFieldCount(firstRecord)
      }
    default:
      return
    }
    dataSizedDimensions.formUnion(Set(sized.keys).subtracting(pinnedDimensions.keys))
    pinnedDimensions = sized
  }
}
