import Testing

@testable import OnnxPipeCore

let x3 = InputRow(index: 0, name: "x", element: .float32, rowShape: [3])

func decodeNDJSON(
  _ line: String, inputs: [InputRow] = [x3], fields: [String: String] = [:]
) -> Result<[[UInt8]], RecordError> {
  var columns = inputs.map { Column($0, rowCapacity: 1) }
  let decoder = NDJSONRecordDecoder(inputs: inputs, fields: fields)
  do {
    try Array(line.utf8).withUnsafeBytes { raw in try decoder.decode(raw, into: &columns) }
  } catch let error as RecordError {
    #expect(columns.allSatisfy { $0.count == 0 }, "a rejected row left values behind")
    return .failure(error)
  } catch {
    return .failure(RecordError("\(error)"))
  }
  return .success(columns.map(\.bytes))
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
    // A DataFrame row as pandas writes it (to_json(orient="records", lines=True)): what works instead.
    (
      #"{"id": 7, "sepal length": 5.1, "f1": 3.5, "f2": 1.4}"#,
      "the model's input 'x' takes 3 values a row from one field (an array), and the record has one value per field; write the rows as CSV or Arrow, whose columns can feed one input (--columns), or make the array first: jq -c '{x: [.id, .[\"sepal length\"], .f1]}'"
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
