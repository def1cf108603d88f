/// Reads NDJSON records into input columns.
///
/// Each record is one JSON object whose fields feed the model's inputs: the
/// top-level key of the input's name, else the one key that becomes its name
/// by skl2onnx's rule (`ColumnNames`: `"sepal length (cm)"` feeds
/// `sepal_length__cm_`), or the dotted path given with `--input NAME=FIELD`
/// (`a.b` descends into nested objects, `a\.b` is the key `a.b`). For a
/// single-input model a bare JSON array is accepted as that input's row. A
/// number row may be nested arrays matching the input's shape or one flat
/// array; a one-element row may be a bare scalar. `null` and `NaN` are
/// missing values (`MissingFill`). Records must already be checked to be
/// valid UTF-8 (`TextRecordReader` checks each once).
struct NDJSONRecordDecoder: Sendable {
  let inputs: [InputRow]
  /// Per input, the path of field names (UTF-8) that holds it.
  let paths: [[[UInt8]]]
  /// Top-level keys a record must not have: the output names `--keep` adds to it.
  let reservedKeys: [[UInt8]]
  /// The one of `reservedKeys` that is the `--model-field` name, for the message.
  let modelFieldKey: [UInt8]?
  /// Inputs a top-level key may feed by skl2onnx's rule: those without `--input`.
  private let renamable: InputSet
  /// Inputs given a path with `--input`.
  private let mapped: InputSet
  /// `{"NAME":` for a model of one float32 input read from its top-level key NAME (plain text,
  /// not an output's name): a record that is exactly that key and a flat array of plain numbers
  /// is read without the general walk (`decodePlainRow`).
  var plainRowPrefix: [UInt8]?
  /// `--columns`, or the first record's number fields for a one-input model that takes a whole
  /// row: the top-level keys that feed the inputs, one value each, in model order (a DataFrame row
  /// as pandas, Polars or DuckDB write it). Nil to read each input from its own field.
  let columnKeys: [[UInt8]]?

  /// - Parameters:
  ///   - fields: input name to dotted field path, for inputs not named as their field.
  ///   - reservedKeys: output names written into the kept record (`--keep`), which would repeat its key.
  ///   - modelFieldKey: the one of them that is the `--model-field` name.
  ///   - columns: keys feeding the inputs one value each, in model order (`columnKeys`).
  init(
    inputs: [InputRow], fields: [String: String], reservedKeys: [[UInt8]] = [], modelFieldKey: [UInt8]? = nil,
    columns: [String]? = nil
  ) {
    self.inputs = inputs
    self.reservedKeys = reservedKeys
    self.modelFieldKey = modelFieldKey
    columnKeys = columns?.map { Array($0.utf8) }
    paths = inputs.map { input in
      (fields[input.name].map(FieldPath.components) ?? [input.name]).map { Array($0.utf8) }
    }
    var renamable: InputSet = 0
    for (index, input) in inputs.enumerated() where fields[input.name] == nil { renamable |= 1 << index }
    self.renamable = renamable
    mapped = inputs.count == 64 ? ~renamable : ~renamable & ((1 << inputs.count) - 1)
    if columns == nil, inputs.count == 1, inputs[0].element == .float32, inputs[0].raggedStride == nil,
      paths[0].count == 1,
      !paths[0][0].contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }),
      !reservedKeys.contains(paths[0][0])
    {
      plainRowPrefix = Array("{\"".utf8) + paths[0][0] + Array("\":".utf8)
    } else {
      plainRowPrefix = nil
    }
  }

  /// Inputs as a bit set (a record is decoded without allocating per key).
  typealias InputSet = UInt64

  /// The inputs a record has fed so far, and how.
  private struct Found {
    var any: InputSet = 0
    /// Fed by a key that became the input's name (an exact key later replaces it).
    var renamed: InputSet = 0
    /// Two or more keys became the input's name, and none is the name itself.
    var ambiguous: InputSet = 0
  }

  /// Appends one record's row to `columns`, or throws with nothing appended.
  /// Models with more than 64 inputs are refused when the format is built.
  func decode(_ record: UnsafeRawBufferPointer, into columns: inout [Column]) throws(RecordError) {
    if let prefix = plainRowPrefix, decodePlainRow(record, prefix: prefix, into: &columns[0]) { return }
    for index in columns.indices { columns[index].beginRow() }
    do throws(RecordError) {
      if let keys = columnKeys { return try decodeColumns(record, keys: keys, into: &columns) }
      var scanner = JSONScanner(record)
      switch scanner.peek() {
      case UInt8(ascii: "{"):
        var found = Found()
        let all: InputSet = inputs.count == 64 ? ~0 : (1 << inputs.count) - 1
        try walkObject(&scanner, depth: 0, candidates: all, found: &found, columns: &columns)
        if found.ambiguous != 0 { throw ambiguity(found.ambiguous, record) }
        if found.any != all { throw unmapped(~found.any & all, record) }
      case UInt8(ascii: "[") where inputs.count == 1:
        try readRow(&scanner, into: &columns[0])
      case UInt8(ascii: "["):
        throw RecordError("a bare JSON array needs a single-input model; this one has \(inputs.count) inputs")
      default:
        throw scanner.unexpected("a JSON object")
      }
      guard scanner.peek() == nil else { throw scanner.unexpected("end of line") }
    } catch {
      for index in columns.indices { columns[index].rollbackRow() }
      throw error
    }
  }

  /// Reads `{"NAME":[n, ...]}` (JSON whitespace after the array allowed) as the general walk
  /// would; false, with nothing appended, for any other record.
  private func decodePlainRow(_ record: UnsafeRawBufferPointer, prefix: [UInt8], into column: inout Column)
    -> Bool
  {
    let count = record.count
    guard count > prefix.count, record[prefix.count] == UInt8(ascii: "["),
      prefix.withUnsafeBytes({ record.starts(with: $0) })
    else { return false }
    let before = column.count
    guard var index = column.appendPlainFloatArray(record, at: prefix.count) else { return false }
    while index < count, JSONScanner.isWhitespace(record[index]) { index += 1 }
    if index < count, record[index] == UInt8(ascii: "}") {
      index += 1
      while index < count, JSONScanner.isWhitespace(record[index]) { index += 1 }
      if index == count { return true }
    }
    column.truncate(to: before)
    return false
  }

  private func walkObject(
    _ scanner: inout JSONScanner, depth: Int, candidates: InputSet, found: inout Found,
    columns: inout [Column]
  ) throws(RecordError) {
    guard depth < JSONScanner.maximumDepth else {
      throw RecordError("JSON nested deeper than \(JSONScanner.maximumDepth)")
    }
    try scanner.expect(UInt8(ascii: "{"), "'{'")
    if scanner.peek() == UInt8(ascii: "}") {
      scanner.index += 1
      return
    }
    while true {
      let key = try scanner.readString()
      if depth == 0 { try refuseReservedKey(key, scanner) }
      try scanner.expect(UInt8(ascii: ":"), "':'")
      var matching: InputSet = 0
      var leaf: Int?
      var rest = candidates
      while rest != 0 {
        let input = rest.trailingZeroBitCount
        rest &= rest - 1
        guard paths[input].count > depth, scanner.string(key, equals: paths[input][depth]) else { continue }
        matching |= 1 << input
        if leaf == nil && paths[input].count == depth + 1 { leaf = input }
      }
      if let leaf {
        let bit: InputSet = 1 << leaf
        if found.any & bit != 0 {
          guard found.renamed & bit != 0 else {
            throw RecordError(
              "field '\(String(decoding: scanner.bytes(of: key), as: UTF8.self))' appears twice")
          }
          // The input's own name after a key renamed to it: the own name wins.
          columns[leaf].rollbackRow()
          found.renamed &= ~bit
          found.ambiguous &= ~bit
        }
        try readRow(&scanner, into: &columns[leaf])
        found.any |= bit
      } else if matching != 0, scanner.peek() == UInt8(ascii: "{") {
        try walkObject(&scanner, depth: depth + 1, candidates: matching, found: &found, columns: &columns)
      } else if depth == 0,
        let input = renamedInput(key, scanner, among: renamable & ~(found.any & ~found.renamed))
      {
        let bit: InputSet = 1 << input
        if found.any & bit != 0 {
          found.ambiguous |= bit
          try scanner.skipValue(depth: depth + 1)
        } else {
          try readRow(&scanner, into: &columns[input])
          found.any |= bit
          found.renamed |= bit
        }
      } else {
        try scanner.skipValue(depth: depth + 1)
      }
      guard try scanner.endOfMember(close: UInt8(ascii: "}"), "',' or '}'") else { return }
    }
  }

  /// Throws when top-level `key` is a name `--keep` would write again (an output's, the model field's).
  func refuseReservedKey(_ key: JSONString, _ scanner: JSONScanner) throws(RecordError) {
    guard !reservedKeys.isEmpty, reservedKeys.contains(where: { scanner.string(key, equals: $0) }) else {
      return
    }
    let name = scanner.bytes(of: key)
    throw RecordError(
      WrittenNames.keptKeyMessage(String(decoding: name, as: UTF8.self), isModelField: name == modelFieldKey))
  }

  /// The input among `candidates` whose name `key` becomes by skl2onnx's rule.
  private func renamedInput(_ key: JSONString, _ scanner: JSONScanner, among candidates: InputSet) -> Int? {
    var rest = candidates
    while rest != 0 {
      let input = rest.trailingZeroBitCount
      rest &= rest - 1
      let name = paths[input][0]
      let matches: Bool
      switch key {
      case .raw(let range): matches = ColumnNames.sanitized(scanner.bytes[range], equals: name)
      case .decoded(let bytes): matches = ColumnNames.sanitized(bytes, equals: name)
      }
      if matches { return input }
    }
    return nil
  }

  /// Several keys of `record` became the name of an input in `inputs`.
  private func ambiguity(_ inputs: InputSet, _ record: UnsafeRawBufferPointer) -> RecordError {
    let input = self.inputs[inputs.trailingZeroBitCount].name
    let keys = Self.topLevelKeys(record).filter { ColumnNames.sanitized($0) == input }
    return RecordError(ColumnNames.ambiguity(input, ColumnNames.quoted(keys), kind: "field"))
  }

  /// `record` fed none of `missing`: which inputs, and which of its fields fed none.
  private func unmapped(_ missing: InputSet, _ record: UnsafeRawBufferPointer) -> RecordError {
    let keys = Self.topLevelKeys(record)
    if missing & mapped != 0 {
      let input = (missing & mapped).trailingZeroBitCount
      let path = paths[input].map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".")
      let listed = keys.map { "'\($0)'" }.joined(separator: ", ")
      return RecordError(
        "missing field '\(path)' for input '\(inputs[input].name)' (the record has \(listed.isEmpty ? "no fields" : listed); feed the input from one with --input \(inputs[input].name)=FIELD)"
      )
    }
    let unused = keys.filter { key in
      !inputs.indices.contains { input in
        paths[input][0].elementsEqual(key.utf8)
          || (renamable & (1 << input) != 0 && ColumnNames.sanitized(key) == inputs[input].name)
      }
    }
    let names = inputs.indices.filter { missing & (1 << $0) != 0 }.map { inputs[$0].name }
    if keys.isEmpty {
      let option = "--input \(names.count == 1 ? names[0] : "NAME")=FIELD"
      return RecordError(
        "the record has no fields for the model's input\(names.count == 1 ? "" : "s") \(ColumnNames.quoted(names)); map \(names.count == 1 ? "it" : "them") with \(option)"
      )
    }
    if names.count == 1, let input = inputs.first(where: { $0.name == names[0] }), input.rowElements > 1,
      let numbers = Self.numberKeys(record, inputNames: [input.name]), numbers.count > 1
    {
      // A DataFrame's rows as pandas, Polars or DuckDB write them, with other number fields than
      // the row's values (an id column, say): which ones feed it is the user's to say.
      let shown =
        numbers.prefix(8).map { "'\($0)'" }.joined(separator: ", ") + (numbers.count > 8 ? ", ..." : "")
      return RecordError(
        "the model's input '\(input.name)' takes \(input.rowElements) values a row and the record has one number per field: name the \(input.rowElements) fields that feed it, in order, with --columns (its number fields: \(shown))"
      )
    }
    return RecordError(
      ColumnNames.unmapped(inputs: names, unused: unused, kind: "field", placeholder: "FIELD"))
  }

  /// The keys of the object `record` holds, for a message (as far as it reads).
  static func topLevelKeys(_ record: UnsafeRawBufferPointer) -> [String] {
    var keys: [String] = []
    _ = forEachTopLevelField(record) { key, _ in
      keys.append(key)
      return keys.count < 20
    }
    return keys
  }

  /// Reads one row of `column`: a scalar, a flat array, or arrays nested as the row's shape.
  private func readRow(_ scanner: inout JSONScanner, into column: inout Column) throws(RecordError) {
    let start = column.count
    let shape = column.input.rowShape
    let stride = column.input.raggedStride
    if scanner.peek() != UInt8(ascii: "[") {
      guard column.input.rowElements == 1 || stride == 1 else {
        throw RecordError(
          "input '\(column.input.name)': expected an array of \(column.input.rowElements) values, got a scalar"
        )
      }
      try readElement(&scanner, into: &column)
      return
    }
    if column.input.element == .float32, stride == nil, column.appendPlainFloatArray(&scanner) { return }
    try readArray(
      &scanner, shape: shape.isEmpty ? [1] : shape[...], into: &column, flatAllowed: true,
      ragged: stride != nil)
    let got = column.count - start
    if let stride {
      guard got > 0, got % stride == 0 else {
        throw RecordError(
          "input '\(column.input.name)': expected a whole number of rows of \(stride) values, got \(got) values"
        )
      }
      return
    }
    guard got == column.input.rowElements else {
      throw RecordError(
        "input '\(column.input.name)': expected \(column.input.rowElements) values, got \(got)")
    }
  }

  /// Reads an array of `shape.first` elements, each an array of the rest of the shape.
  /// At the top level a flat array of every element is accepted too.
  /// With `ragged`, the top level's count is the record's own (a free dimension sized by each record).
  private func readArray(
    _ scanner: inout JSONScanner, shape: ArraySlice<Int>, into column: inout Column, flatAllowed: Bool,
    ragged: Bool = false
  ) throws(RecordError) {
    try scanner.expect(UInt8(ascii: "["), "'['")
    if scanner.peek() == UInt8(ascii: "]") {
      scanner.index += 1
      return
    }
    let nested = shape.count > 1 && scanner.peek() == UInt8(ascii: "[")
    var items = 0
    while true {
      if nested {
        try readArray(&scanner, shape: shape.dropFirst(), into: &column, flatAllowed: false)
      } else if shape.count > 1 && !flatAllowed {
        throw scanner.unexpected("'[' (input '\(column.input.name)' rows are \(shape.count)-dimensional)")
      } else if column.input.element == .float32, let (decimal, token) = scanner.readNumber() {
        try column.appendFloat32(decimal, text: token)  // the common case, without readElement's dispatch
      } else {
        try readElement(&scanner, into: &column)
      }
      items += 1
      guard try scanner.endOfMember(close: UInt8(ascii: "]"), "',' or ']'") else { break }
    }
    if nested || !flatAllowed, items != shape.first!, !ragged {
      throw RecordError(
        "input '\(column.input.name)': expected \(shape.first!) values in a nested array, got \(items)")
    }
  }

  func readElement(_ scanner: inout JSONScanner, into column: inout Column) throws(RecordError) {
    switch scanner.peek() {
    case UInt8(ascii: "\""):
      // The record was checked to be UTF-8, and escapes decode to valid UTF-8.
      let value = String(decoding: scanner.bytes(of: try scanner.readString()), as: UTF8.self)
      if column.input.element == .string {
        try column.appendString(value)
      } else {
        throw RecordError(
          "input '\(column.input.name)': expected a number, got the string \"\(value.prefix(40))\"")
      }
    case UInt8(ascii: "["), UInt8(ascii: "{"):
      throw scanner.unexpected("a value for input '\(column.input.name)'")
    default:
      if column.input.element != .bool, let (decimal, token) = scanner.readNumber() {
        try column.appendNumber(decimal, text: token)
        return
      }
      let token = scanner.readScalarToken()
      guard let first = token.first else { throw scanner.unexpected("a value") }
      switch first {
      case UInt8(ascii: "t") where token.elementsEqual("true".utf8):
        try column.appendBool(true, token: token)
      case UInt8(ascii: "f") where token.elementsEqual("false".utf8):
        try column.appendBool(false, token: token)
      case UInt8(ascii: "n") where token.elementsEqual("null".utf8):
        try column.appendMissing("null")
      case UInt8(ascii: "N") where token.elementsEqual("NaN".utf8):
        try column.appendMissing("NaN")  // Python's json module writes float('nan') so
      default:
        try column.appendNumber(token)
      }
    }
  }
}
