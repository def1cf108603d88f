/// NDJSON output: one JSON object per input record.
extension TextFormat {
  /// One NDJSON output record: `{"out": value, ...}`, after the input's fields with `--keep`.
  func appendNDJSONRecord(
    original: UnsafeRawBufferPointer, keepOriginal: Bool, results: UnsafeBufferPointer<OutputRows>?,
    row: Int, to out: inout [UInt8]
  ) {
    var needsComma = false
    if keep && keepOriginal {
      needsComma = appendKeptJSON(original, to: &out)
    } else {
      out.append(UInt8(ascii: "{"))
    }
    for position in outputs.indices {
      if needsComma { out.append(UInt8(ascii: ",")) }
      needsComma = true
      jsonKeys[position].withUnsafeBufferPointer { out.append(contentsOf: $0) }
      if let results {
        appendJSON(results, position, row: row, to: &out)
      } else {
        out.append(contentsOf: "null".utf8)
      }
    }
    out.append(UInt8(ascii: "}"))
    out.append(0x0A)
  }

  /// Opens the output object with the input record's fields; returns whether a comma must follow.
  private func appendKeptJSON(_ original: UnsafeRawBufferPointer, to out: inout [UInt8]) -> Bool {
    switch input {
    case .lines:
      out.append(contentsOf: "{\"line\":".utf8)
      ValueText.appendJSONString(original, to: &out)
      return true
    case .csv:
      out.append(UInt8(ascii: "{"))
      guard let fields = try? CSVRecord.fields(original), fields.count == csvHeader.count else {
        return false
      }
      for (index, field) in fields.enumerated() {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        ValueText.appendJSONString(csvHeader[index], to: &out)
        out.append(UInt8(ascii: ":"))
        let value = CSVRecord.value(field, in: original)
        let numeric = !field.quoted && value.withUnsafeBytes { NumberParser.scan($0) != nil }
        if numeric { out.append(contentsOf: value) } else { ValueText.appendJSONString(value, to: &out) }
      }
      return !fields.isEmpty
    case .ndjson:
      var end = original.count
      while end > 0, [0x20, 0x09, 0x0D].contains(original[end - 1]) { end -= 1 }
      var start = 0
      while start < end, [0x20, 0x09].contains(original[start]) { start += 1 }
      if start < end && original[start] == UInt8(ascii: "{") && original[end - 1] == UInt8(ascii: "}") {
        var body = end - 1
        while body > start + 1, [0x20, 0x09].contains(original[body - 1]) { body -= 1 }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: original[start..<body]))
        return body > start + 1
      }
      // A bare array: keep it under the input's name.
      out.append(UInt8(ascii: "{"))
      ValueText.appendJSONString(inputs[0].name.utf8, to: &out)
      out.append(UInt8(ascii: ":"))
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: original[start..<end]))
      return true
    }
  }

  /// Row `row` of output `position` as a JSON value: a scalar, nested arrays by its shape, or an
  /// object for a map.
  private func appendJSON(
    _ results: UnsafeBufferPointer<OutputRows>, _ position: Int, row: Int, to out: inout [UInt8]
  ) {
    let element = results[position].element
    let elements = results[position].rowElements
    switch results[position].storage {
    case .raw(let raw):
      var index = row * elements
      appendNested(results[position].rowShape[...], &index, &out) { index, out in
        ValueText.appendNumber(element, raw, index, to: &out)
      }
    case .maps:
      out.append(UInt8(ascii: "{"))
      for (index, entry) in results[position].maps[row].enumerated() {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        ValueText.appendJSONString(entry.key.utf8, to: &out)
        out.append(UInt8(ascii: ":"))
        ValueText.appendFloat(entry.value, single: element == .float32, &out)
      }
      out.append(UInt8(ascii: "}"))
    case .strings:
      let strings = results[position].strings
      var index = row * elements
      appendNested(results[position].rowShape[...], &index, &out) { index, out in
        ValueText.appendJSONString(strings[index].utf8, to: &out)
      }
    }
  }

  /// Nested JSON arrays by `shape` (a bare value for no dimensions), elements from `index` on.
  private func appendNested(
    _ shape: ArraySlice<Int>, _ index: inout Int, _ out: inout [UInt8],
    _ element: (Int, inout [UInt8]) -> Void
  ) {
    guard let count = shape.first else {
      element(index, &out)
      index += 1
      return
    }
    out.append(UInt8(ascii: "["))
    let inner = shape.dropFirst()
    for item in 0..<count {
      if item > 0 { out.append(UInt8(ascii: ",")) }
      if inner.isEmpty {
        // The innermost dimension (all of a vector row) in this loop, not a call per element.
        element(index, &out)
        index += 1
      } else {
        appendNested(inner, &index, &out, element)
      }
    }
    out.append(UInt8(ascii: "]"))
  }
}
