import Testing

@testable import OnnxPipeCore

let x3 = InputRow(index: 0, name: "x", element: .float32, rowShape: [3])

func decodeNDJSON(
  _ line: String, inputs: [InputRow] = [x3], fields: [String: String] = [:], columns: [String]? = nil,
  reserved: [String] = []
) -> Result<[[UInt8]], RecordError> {
  var decoded = inputs.map { Column($0, rowCapacity: 1) }
  let decoder = NDJSONRecordDecoder(
    inputs: inputs, fields: fields, reservedKeys: reserved.map { Array($0.utf8) }, columns: columns)
  do {
    try Array(line.utf8).withUnsafeBytes { raw in try decoder.decode(raw, into: &decoded) }
  } catch let error as RecordError {
    #expect(decoded.allSatisfy { $0.count == 0 }, "a rejected row left values behind")
    return .failure(error)
  } catch {
    return .failure(RecordError("\(error)"))
  }
  return .success(decoded.map(\.bytes))
}

/// `line` decoded with `columns` feeding the inputs one value each (`--columns`).
func decodeNDJSONColumns(
  _ line: String, inputs: [InputRow] = [x3], columns: [String], reserved: [String] = []
)
  -> Result<[[UInt8]], RecordError>
{
  decodeNDJSON(line, inputs: inputs, columns: columns, reserved: reserved)
}

/// A DataFrame's rows as pandas, Polars or DuckDB write NDJSON: one value per field.
@Suite struct NDJSONColumnsTests {
  @Test func fieldsFeedTheRowInColumnOrderWhateverOrderTheyComeIn() {
    let expected = Result<[[UInt8]], RecordError>.success([bytes(of: [Float(1), 2.5, -3])])
    let columns = ["a", "b c", "d"]
    #expect(decodeNDJSONColumns(#"{"a": 1, "b c": 2.5, "d": -3}"#, columns: columns) == expected)
    #expect(
      decodeNDJSONColumns(#"{"d":-3,"id":"x","a":1,"b c":2.5,"z":[1,{}]}"#, columns: columns) == expected)
    #expect(decodeNDJSONColumns(#"{"b\u0020c": 2.5, "d": -3, "a": 1}"#, columns: columns) == expected)
  }

  @Test func twoInputsTakeTheirFieldsInModelOrder() {
    let s = InputRow(index: 0, name: "s", element: .string, rowShape: [1])
    let x = InputRow(index: 1, name: "x", element: .float32, rowShape: [2])
    let result = decodeNDJSONColumns(
      #"{"x1": 2, "name": "é", "x0": 1}"#, inputs: [s, x], columns: ["name", "x0", "x1"])
    guard case .success(let decoded) = result else {
      Issue.record("\(result)")
      return
    }
    #expect(decoded[1] == bytes(of: [Float(1), 2]))
  }

  @Test(arguments: [
    (#"{"a": 1, "b c": 2}"#, "missing field 'd' for input 'x' (--columns)"),
    (#"{"a": 1, "b c": 2, "d": 3, "a": 4}"#, "field 'a' appears twice"),
    (
      #"{"a": 1, "b c": [2], "d": 3}"#, "input 'x': field 'b c' holds an array, not one value (--columns)"
    ),
    (#"{"a": 1, "b c": null, "d": 3}"#, "input 'x': null where a value is due"),
    (#"{"a": 1, "b c": "2", "d": 3}"#, "input 'x': expected a number, got the string \"2\""),
    (#"[1, 2, 3]"#, "invalid JSON at column 1: expected a JSON object, found '['"),
    (#"{"a": 1, "b c": 2, "d": 3} x"#, "invalid JSON at column 28: expected end of line, found 'x'"),
    (
      #"{"a": 1, "b c": 2, "d": 3, "label": 0}"#,
      "--keep: the record has a field 'label', which an output of that name would repeat; rename the outputs with --prefix (e.g. --prefix pred_)"
    ),
  ])
  func badRecordsSayWhy(line: String, reason: String) {
    #expect(
      decodeNDJSONColumns(line, columns: ["a", "b c", "d"], reserved: ["label"])
        == .failure(RecordError(reason)))
  }

  /// With no --columns, a one-input model that takes a whole row reads the first record's number
  /// fields when there are exactly as many as the row's values, as CSV reads its numeric columns.
  @Test func theFirstRecordsNumberFieldsFeedAWholeRowByDefault() throws {
    func columns(_ record: String, _ mapping: InputMapping = InputMapping()) throws(PipeError) -> [String]? {
      try TextFormat.ndjsonColumns(inputs: [x3], mapping: mapping, firstRecord: Array(record.utf8))
    }
    #expect(try columns(#"{"f0": 1, "name": "a", "f1": null, "f2": NaN}"#) == ["f0", "f1", "f2"])
    #expect(try columns(#"{"id": 7, "f0": 1, "f1": 2, "f2": 3}"#) == nil, "four numbers for three values")
    #expect(try columns(#"{"x": [1, 2, 3], "f0": 1, "f1": 2}"#) == nil, "the input's own field")
    #expect(try columns(#"{"f0": 1, "f1": 2, "f2": 3}"#, InputMapping(fields: ["x": "v"])) == nil)
    #expect(
      try columns(#"{"f0": 1, "f1": 2, "f2": 3}"#, InputMapping(columns: ["f2", "f1", "f0"])) == [
        "f2", "f1", "f0",
      ])
    #expect(throws: PipeError(.usage, "--columns names 2 fields; the model's inputs take 3 values a row")) {
      try columns("{}", InputMapping(columns: ["f0", "f1"]))
    }
  }
}

@Suite struct NDJSONDecoderTests {
  @Test func readsAnObjectFieldAndIgnoresOthers() {
    let result = decodeNDJSON(
      #"{"id": 7, "x": [1, -2.5, 3e2], "tags": {"a": [1, {"b": null}]}, "s": "x\"y"}"#)
    #expect(result == .success([bytes(of: [Float(1), -2.5, 300])]))
  }

  @Test func acceptsABareArrayForASingleInput() {
    #expect(decodeNDJSON("[0.5, 0.25, 0]") == .success([bytes(of: [Float(0.5), 0.25, 0])]))
  }

  @Test func followsDottedPaths() {
    let result = decodeNDJSON(#"{"a": {"x": 9, "b": {"c": [1,2,3]}}}"#, fields: ["x": "a.b.c"])
    #expect(result == .success([bytes(of: [Float(1), 2, 3])]))
  }

  @Test func readsNestedArraysInRowMajorOrder() {
    let grid = InputRow(index: 0, name: "g", element: .int64, rowShape: [2, 2])
    #expect(
      decodeNDJSON(#"{"g": [[1, 2], [3, 4]]}"#, inputs: [grid]) == .success([bytes(of: [Int64(1), 2, 3, 4])]))
    #expect(
      decodeNDJSON(#"{"g": [1, 2, 3, 4]}"#, inputs: [grid]) == .success([bytes(of: [Int64(1), 2, 3, 4])]))
    #expect(
      decodeNDJSON(#"{"g": [[1, 2, 3], [4]]}"#, inputs: [grid])
        == .failure(RecordError("input 'g': expected 2 values in a nested array, got 3")))
  }

  @Test func readsStringsBoolsAndScalars() {
    let inputs = [
      InputRow(index: 0, name: "s", element: .string, rowShape: [1]),
      InputRow(index: 1, name: "b", element: .bool, rowShape: []),
    ]
    var columns = inputs.map { Column($0, rowCapacity: 1) }
    let decoder = NDJSONRecordDecoder(inputs: inputs, fields: [:])
    let line = Array(#"{"b": true, "s": "caf\u00e9 \ud83d\ude00"}"#.utf8)
    #expect(throws: Never.self) {
      try line.withUnsafeBytes { raw in try decoder.decode(raw, into: &columns) }
    }
    #expect(columns[0].strings == ["café 😀"])
    #expect(columns[1].bytes == [1])
  }

  @Test(arguments: [
    (#"{"x": [1, 2]}"#, "input 'x': expected 3 values, got 2"),
    (#"{"x": [1, 2, 3, 4]}"#, "input 'x': expected 3 values, got 4"),
    (
      #"{"y": [1, 2, 3], "z": {"x": 1}}"#,
      "the model's input 'x' finds no field (fields that feed no input: 'y', 'z'); map it with --input x=FIELD"
    ),
    (
      #"{}"#,
      "the record has no fields for the model's input 'x'; map it with --input x=FIELD"
    ),
    // A DataFrame row as pandas writes it (to_json(orient="records", lines=True)) with more number
    // fields than the row takes: which ones is for --columns to say.
    (
      #"{"id": 7, "sepal length": 5.1, "f1": 3.5, "f2": 1.4}"#,
      "the model's input 'x' takes 3 values a row and the record has one number per field: name the 3 fields that feed it, in order, with --columns (its number fields: 'id', 'sepal length', 'f1', 'f2')"
    ),
    (#"{"x": [1, "a", 3]}"#, "input 'x': expected a number, got the string \"a\""),
    (#"{"x": [1, NaN, 3]}"#, "input 'x': NaN where a value is due"),
    (#"{"x": [1, Infinity, 3]}"#, "input 'x': expected a number, got 'Infinity'"),
    (#"{"x": [1, 1e999, 3]}"#, "input 'x': expected a number, got '1e999'"),
    (#"{"x": [1, null, 3]}"#, "input 'x': null where a value is due"),
    (#"{"x": 5}"#, "input 'x': expected an array of 3 values, got a scalar"),
    (#"{"x": [1, 2, 3], "x": [1, 2, 3]}"#, "field 'x' appears twice"),
    (#"{"x": [1, 2, 3]"#, "invalid JSON: expected ',' or '}', found end of line"),
    (#"{"x": [1, 2, 3]} extra"#, "invalid JSON at column 18: expected end of line, found 'e'"),
    ("hello", "invalid JSON at column 1: expected a JSON object, found 'h'"),
    (#"{"x": [1, 2, 3], "y": tru}"#, "invalid JSON at column 23: expected a value, found 't'"),
    (#"{"a\q": 1}"#, "invalid JSON at column 4: unknown escape '\\q'"),
  ])
  func badRecordsSayWhy(line: String, reason: String) {
    #expect(decodeNDJSON(line) == .failure(RecordError(reason)))
  }

  @Test func deepNestingIsRefusedNotACrash() {
    let deep = "{\"y\": " + String(repeating: "[", count: 100_000) + "}"
    guard case .failure(let error) = decodeNDJSON(deep) else {
      Issue.record("deep nesting accepted")
      return
    }
    #expect(error.reason == "JSON nested deeper than 256")
  }
}

@Suite struct CSVTests {
  func fields(_ line: String) throws -> [String] {
    let bytes = Array(line.utf8)
    return try bytes.withUnsafeBytes { raw in
      try CSVRecord.fields(raw).map { String(decoding: CSVRecord.value($0, in: raw), as: UTF8.self) }
    }
  }

  @Test func splitsQuotedFieldsPerRFC4180() throws {
    #expect(try fields(#"a,"b,c","d ""e""",,"x\#ny""#) == ["a", "b,c", #"d "e""#, "", "x\ny"])
    #expect(try fields("") == [""])
    #expect(try fields(",") == ["", ""])
  }

  @Test func brokenQuotingIsAnError() {
    #expect(throws: RecordError("CSV field 2: unterminated quoted field")) { try fields(#"a,"b"#) }
    #expect(throws: RecordError("CSV field 1: text after a closing quote")) { try fields(#""a"b,c"#) }
  }

  @Test func quotesFieldsOnlyWhenNeeded() {
    var out: [UInt8] = []
    CSVRecord.appendField(Array("plain".utf8), to: &out)
    out.append(UInt8(ascii: ","))
    CSVRecord.appendField(Array(#"a,"b""#.utf8), to: &out)
    #expect(String(decoding: out, as: UTF8.self) == #"plain,"a,""b""""#)
  }

  @Test func decoderChecksTheFieldCountAndNamesTheField() {
    let decoder = CSVRecordDecoder(inputs: [x3], columns: [[1, 2, 3]], fieldCount: 4)
    var columns = [Column(x3, rowCapacity: 2)]
    func decode(_ line: String) throws {
      try Array(line.utf8).withUnsafeBytes { raw in try decoder.decode(raw, into: &columns) }
    }
    #expect(throws: Never.self) { try decode(#"id,1,"2.5",3"#) }
    #expect(columns[0].bytes == bytes(of: [Float(1), 2.5, 3]))
    #expect(throws: RecordError("expected 4 CSV fields, got 3")) { try decode("id,1,2") }
    #expect(throws: RecordError("CSV field 3: input 'x': expected a number, got 'abc'")) {
      try decode("id,1,abc,3")
    }
    #expect(throws: RecordError("input 'x': CSV field 4 is empty where a value is due")) {
      try decode("id,1,2,")
    }
    #expect(columns[0].count == 3)
  }
}
