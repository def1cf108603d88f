/// NDJSON records whose fields feed the inputs one value each (`--columns`, or a DataFrame's rows
/// as pandas' `to_json(orient="records", lines=True)` writes them): `{"f0": 5.1, "f1": 3.5, ...}`.
extension NDJSONRecordDecoder {
  /// Reads one record's values for `keys` (in model order, `rowElements` per input), whatever
  /// order its fields come in; other fields are skipped.
  func decodeColumns(_ record: UnsafeRawBufferPointer, keys: [[UInt8]], into columns: inout [Column])
    throws(RecordError)
  {
    var scanner = JSONScanner(record)
    guard scanner.peek() == UInt8(ascii: "{") else { throw scanner.unexpected("a JSON object") }
    try withUnsafeTemporaryAllocation(of: Int.self, capacity: keys.count) { (starts) throws(RecordError) in
      starts.initialize(repeating: -1)
      try scanner.expect(UInt8(ascii: "{"), "'{'")
      if scanner.peek() != UInt8(ascii: "}") {
        // Where the last key matched: DataFrame writers keep column order, so try the next first.
        var next = 0
        while true {
          let key = try scanner.readString()
          try refuseReservedKey(key, scanner)
          try scanner.expect(UInt8(ascii: ":"), "':'")
          let found =
            next < keys.count && scanner.string(key, equals: keys[next])
            ? next : keys.indices.first { scanner.string(key, equals: keys[$0]) }
          if let found {
            guard starts[found] < 0 else {
              throw RecordError("field '\(String(decoding: keys[found], as: UTF8.self))' appears twice")
            }
            scanner.skipWhitespace()
            starts[found] = scanner.index
            next = found + 1
          }
          try scanner.skipValue(depth: 1)
          guard try scanner.endOfMember(close: UInt8(ascii: "}"), "',' or '}'") else { break }
        }
      } else {
        scanner.index += 1
      }
      guard scanner.peek() == nil else { throw scanner.unexpected("end of line") }
      var position = 0
      for input in columns.indices {
        for _ in 0..<columns[input].input.rowElements {
          guard starts[position] >= 0 else {
            throw RecordError(
              "missing field '\(String(decoding: keys[position], as: UTF8.self))' for input '\(columns[input].input.name)' (--columns)"
            )
          }
          scanner.index = starts[position]
          if let first = scanner.peek(), first == UInt8(ascii: "[") || first == UInt8(ascii: "{") {
            throw RecordError(
              "input '\(columns[input].input.name)': field '\(String(decoding: keys[position], as: UTF8.self))' holds \(first == UInt8(ascii: "[") ? "an array" : "an object"), not one value (--columns)"
            )
          }
          try readElement(&scanner, into: &columns[input])
          position += 1
        }
      }
    }
  }

  /// The top-level keys of `record` (a JSON object) whose values are numbers, `null` or `NaN`, in
  /// order; nil when it is not an object or a key is an input's name. What a one-input model that
  /// takes a whole row reads by default (`TextFormat`).
  static func numberKeys(_ record: UnsafeRawBufferPointer, inputNames: [String]) -> [String]? {
    var keys: [String] = []
    var named = false
    let isObject = forEachTopLevelField(record) { key, value in
      named = inputNames.contains(key) || inputNames.contains(ColumnNames.sanitized(key))
      if NumberParser.scan(value) != nil || value.elementsEqual("null".utf8)
        || value.elementsEqual("NaN".utf8)
      {
        keys.append(key)
      }
      return !named
    }
    return isObject && !named ? keys : nil
  }

  /// Calls `body` with each top-level key of the JSON object `record` and its value's text, in
  /// order, until it returns false; false when `record` is not a JSON object (as far as it reads).
  static func forEachTopLevelField(
    _ record: UnsafeRawBufferPointer, _ body: (String, UnsafeRawBufferPointer) -> Bool
  ) -> Bool {
    var scanner = JSONScanner(record)
    do throws(RecordError) {
      try scanner.expect(UInt8(ascii: "{"), "'{'")
      if scanner.peek() == UInt8(ascii: "}") { return true }
      while true {
        let key = String(decoding: scanner.bytes(of: try scanner.readString()), as: UTF8.self)
        try scanner.expect(UInt8(ascii: ":"), "':'")
        scanner.skipWhitespace()
        let start = scanner.index
        try scanner.skipValue(depth: 1)
        var end = scanner.index
        while end > start, JSONScanner.isWhitespace(record[end - 1]) { end -= 1 }
        guard body(key, UnsafeRawBufferPointer(rebasing: record[start..<end])) else { return true }
        guard try scanner.endOfMember(close: UInt8(ascii: "}"), "',' or '}'") else { return true }
      }
    } catch {
      return false
    }
  }
}
