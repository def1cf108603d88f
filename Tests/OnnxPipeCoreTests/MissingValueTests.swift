import Testing

@testable import OnnxPipeCore

/// Inputs of every kind a missing value can land in, with `policy` applied.
func missingInputs(_ policy: MissingValuePolicy) throws -> [InputRow] {
  try policy.apply(to: [
    InputRow(index: 0, name: "f", element: .float32, rowShape: [1]),
    InputRow(index: 1, name: "d", element: .float64, rowShape: [1]),
    InputRow(index: 2, name: "n", element: .int64, rowShape: [1]),
    InputRow(index: 3, name: "b", element: .bool, rowShape: [1]),
    InputRow(index: 4, name: "s", element: .string, rowShape: [1]),
  ])
}

/// One record decoded by `decode` into `inputs`' columns: each column's bytes (strings joined by `|`).
func decodeOne(
  _ line: String, _ inputs: [InputRow],
  _ decode: (UnsafeRawBufferPointer, inout [Column]) throws(RecordError) -> Void
) -> Result<[[UInt8]], RecordError> {
  var columns = inputs.map { Column($0, rowCapacity: 1) }
  do {
    try Array(line.utf8).withUnsafeBytes { raw in try decode(raw, &columns) }
  } catch let error as RecordError {
    #expect(columns.allSatisfy { $0.count == 0 }, "a rejected row left values behind")
    return .failure(error)
  } catch {
    return .failure(RecordError("\(error)"))
  }
  return .success(
    columns.map { $0.input.element == .string ? Array($0.strings.joined(separator: "|").utf8) : $0.bytes })
}

/// One NDJSON record decoded into `inputs`' columns.
func decodeRecord(_ line: String, _ inputs: [InputRow]) -> Result<[[UInt8]], RecordError> {
  let decoder = NDJSONRecordDecoder(inputs: inputs, fields: [:])
  return decodeOne(line, inputs) { (raw, columns) throws(RecordError) in
    try decoder.decode(raw, into: &columns)
  }
}

/// One CSV record (`f,d,n,b,s`) decoded into `inputs`' columns.
func decodeCSVRecord(_ line: String, _ inputs: [InputRow]) -> Result<[[UInt8]], RecordError> {
  let decoder = CSVRecordDecoder(
    inputs: inputs, columns: inputs.indices.map { [$0] }, fieldCount: inputs.count)
  return decodeOne(line, inputs) { (raw, columns) throws(RecordError) in
    try decoder.decode(raw, into: &columns)
  }
}

let floatNaN = bytes(of: [Float.nan.bitPattern])
let doubleNaN = bytes(of: [Double.nan.bitPattern])

@Suite struct MissingValueTests {
  let filled = MissingValuePolicy(mode: .nan, values: ["n": "-1", "b": "true", "s": "unknown"])

  @Test func ndjsonNullAndNaNBecomeNaNOrTheGivenValuePerElementType() throws {
    let inputs = try missingInputs(filled)
    let expected: [[UInt8]] = [floatNaN, doubleNaN, bytes(of: [Int64(-1)]), [1], Array("unknown".utf8)]
    #expect(
      decodeRecord(#"{"f": null, "d": null, "n": null, "b": null, "s": null}"#, inputs) == .success(expected))
    #expect(
      decodeRecord(#"{"f": NaN, "d": [NaN], "n": null, "b": [null], "s": [null]}"#, inputs)
        == .success(expected))
    // Values that are present are read as before.
    #expect(
      decodeRecord(#"{"f": 1.5, "d": 2, "n": 3, "b": false, "s": "x"}"#, inputs)
        == .success([
          bytes(of: [Float(1.5)]), bytes(of: [Double(2)]), bytes(of: [Int64(3)]), [0], Array("x".utf8),
        ]))
  }

  @Test func csvEmptyFieldsAndNASpellingsBecomeNaNOrTheGivenValue() throws {
    let inputs = try missingInputs(filled)
    let expected: [[UInt8]] = [floatNaN, doubleNaN, bytes(of: [Int64(-1)]), [1], Array("unknown".utf8)]
    #expect(decodeCSVRecord(",,,,", inputs) == .success(expected))
    #expect(decodeCSVRecord("NA,NaN,nan,NULL,", inputs) == .success(expected))
    #expect(
      decodeCSVRecord(#""NA","",null,"",x"#, inputs).map { Array($0.prefix(4)) }
        == .success(Array(expected.prefix(4))))
    // A quoted empty field is an empty string, not a missing one; text that only looks like a spelling is text.
    #expect(decodeCSVRecord(#"1,2,3,1,"""#, inputs).map(\.last) == .success([]))
    #expect(decodeCSVRecord("1,2,3,1,NA", inputs).map(\.last) == .success(Array("unknown".utf8)))
    #expect(decodeCSVRecord(#"1,2,3,1,"NA""#, inputs).map(\.last) == .success(Array("NA".utf8)))
    #expect(decodeCSVRecord("1,2,3,1,NAN", inputs).map(\.last) == .success(Array("NAN".utf8)))
    #expect(
      decodeCSVRecord("Na,1,1,1,x", inputs)
        == .failure(RecordError("CSV field 1: input 'f': expected a number, got 'Na'")))
  }

  @Test func csvWithoutAValueForAStringInputReadsItsTextAsItIs() throws {
    let inputs = try missingInputs(MissingValuePolicy(mode: .nan, values: ["n": "0", "b": "0"]))
    #expect(decodeCSVRecord("1,2,3,1,", inputs).map(\.last) == .success([]))
    #expect(decodeCSVRecord("1,2,3,1,NA", inputs).map(\.last) == .success(Array("NA".utf8)))
  }

  @Test(arguments: [
    (
      MissingValuePolicy(), #"{"f": null, "d": 1, "n": 1, "b": true, "s": ""}"#,
      "input 'f': null where a value is due; add --missing nan if the model treats NaN as missing"
    ),
    (
      MissingValuePolicy(inputsTreatingNaNAsMissing: ["f", "d"]),
      #"{"f": null, "d": NaN, "n": null, "b": true, "s": ""}"#,
      "input 'n': null where a value is due; give this int64 input a value with --missing n=VALUE"
    ),
    (
      MissingValuePolicy(mode: .nan), #"{"f": null, "d": NaN, "n": 1, "b": null, "s": ""}"#,
      "input 'b': null where a value is due; --missing nan fills floating-point inputs only: give this bool input a value with --missing b=VALUE"
    ),
    (
      MissingValuePolicy(mode: .nan), #"{"f": null, "d": NaN, "n": 1, "b": true, "s": null}"#,
      "input 's': null where a value is due; --missing nan fills floating-point inputs only: give this string input a value with --missing s=VALUE"
    ),
    (
      MissingValuePolicy(mode: .error, values: ["f": "0"]),
      #"{"f": null, "d": NaN, "n": 1, "b": true, "s": ""}"#,
      "input 'd': NaN where a value is due (--missing error)"
    ),
  ])
  func ndjsonRefusalNamesTheInputAndTheOption(policy: MissingValuePolicy, line: String, reason: String) throws
  {
    #expect(decodeRecord(line, try missingInputs(policy)) == .failure(RecordError(reason)))
  }

  @Test(arguments: [
    (
      MissingValuePolicy(), ",1,1,1,x",
      "input 'f': CSV field 1 is empty where a value is due; add --missing nan if the model treats NaN as missing"
    ),
    (
      MissingValuePolicy(inputsTreatingNaNAsMissing: ["f", "d"]), ",NA,NA,1,x",
      "input 'n': CSV field 3 is 'NA' where a value is due; give this int64 input a value with --missing n=VALUE"
    ),
    (
      MissingValuePolicy(mode: .error), "1,NULL,1,1,x",
      "input 'd': CSV field 2 is 'NULL' where a value is due (--missing error)"
    ),
  ])
  func csvRefusalNamesTheInputTheFieldAndTheOption(policy: MissingValuePolicy, line: String, reason: String)
    throws
  {
    #expect(decodeCSVRecord(line, try missingInputs(policy)) == .failure(RecordError(reason)))
  }

  @Test func autoGivesNaNOnlyToTheInputsTheModelTreatsNaNInAsMissing() throws {
    let inputs = try missingInputs(MissingValuePolicy(inputsTreatingNaNAsMissing: ["d"]))
    #expect(inputs.map(\.missing.fills) == [false, true, false, false, false])
    #expect(inputs[1].missing == .element(doubleNaN))
  }

  @Test(arguments: [
    (["n": "1.5"], "--missing n=1.5: input 'n' is int64; expected a whole number in its range"),
    (["b": "yes"], "--missing b=yes: input 'b' is bool; expected true, false, 1 or 0"),
    (["f": "inf"], "--missing f=inf: input 'f' is float32; expected a number or nan"),
    (["age": "0"], "--missing age=...: the model has no input 'age' (it has: f, d, n, b, s)"),
  ])
  func aValueThatDoesNotFitItsInputIsAUsageError(values: [String: String], message: String) {
    #expect(throws: PipeError(.usage, message)) { try missingInputs(MissingValuePolicy(values: values)) }
  }

  @Test func valuesAreTheTensorsLittleEndianBytes() throws {
    let int8 = InputRow(index: 0, name: "i", element: .int8, rowShape: [])
    #expect(try MissingValuePolicy.parse("-2", for: int8) == .element([0xFE]))
    #expect(throws: PipeError.self) { try MissingValuePolicy.parse("300", for: int8) }
    let uint16 = InputRow(index: 0, name: "u", element: .uint16, rowShape: [])
    #expect(try MissingValuePolicy.parse("513", for: uint16) == .element([0x01, 0x02]))
    let float = InputRow(index: 0, name: "f", element: .float32, rowShape: [])
    #expect(try MissingValuePolicy.parse("0.5", for: float) == .element(bytes(of: [Float(0.5)])))
    #expect(try MissingValuePolicy.parse("NaN", for: float) == .element(floatNaN))
    let half = InputRow(index: 0, name: "h", element: .float16, rowShape: [])
    #expect(try MissingValuePolicy.parse("nan", for: half) == .element([0x00, 0x7E]))
  }

  @Test func theModelGraphIsReadOnlyWhenAutoHasAFloatInputToDecide() {
    let signature = ModelSignature(
      inputs: [
        TensorSpec(name: "x", kind: .tensor(.float32, [.symbolic("N"), .fixed(1)])),
        TensorSpec(name: "k", kind: .tensor(.int64, [.symbolic("N"), .fixed(1)])),
      ], outputs: [])
    #expect(MissingValuePolicy().needsModelGraph(signature))
    #expect(!MissingValuePolicy(values: ["x": "0"]).needsModelGraph(signature))
    #expect(!MissingValuePolicy(mode: .nan).needsModelGraph(signature))
    #expect(!MissingValuePolicy(mode: .error).needsModelGraph(signature))
  }
}
