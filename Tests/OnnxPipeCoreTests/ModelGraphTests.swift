import Foundation
import Testing

@testable import OnnxPipeCore

/// A model file of the test fixtures (`Tests/Fixtures/...`).
func fixturePath(_ relative: String) -> String {
  URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/" + relative).path
}

@Suite struct ModelGraphTests {
  /// Real converter output: skl2onnx, onnxmltools (LightGBM), the project's own models.
  @Test(arguments: [
    ("dataframe/models/skl_frame_imputer.onnx", ["age__years_", "income___k_"]),
    ("dataframe/models/lgbm_gaps.onnx", ["input"]),
    ("models/rf32.onnx", ["X"]),
    ("compat/models/lgbm_regressor.onnx", ["input"]),
    ("compat/models/skl_gradient_boosting.onnx", ["X"]),
    ("models/logreg.onnx", []),
    ("compat/models/skl_dataframe_columns.onnx", []),
    ("models/mixed.onnx", []),
  ])
  func findsTheInputsTheModelTreatsNaNInAsMissing(model: String, expected: [String]) throws {
    let graph = try #require(ModelGraph.read(path: fixturePath(model)))
    let header = try #require(ModelHeader.read(path: fixturePath(model)))
    #expect(!graph.nodes.isEmpty && !header.opsets.isEmpty)
    let inputs = ["age__years_", "income___k_", "height_cm", "visits", "city", "input", "X", "x", "k"]
    #expect(graph.inputsTreatingNaNAsMissing(inputs).sorted() == expected.sorted())
  }

  @Test func readsNodesOutputsAndTheAttributesThatDecide() throws {
    let graph = try #require(ModelGraph.read(path: fixturePath("dataframe/models/skl_frame_imputer.onnx")))
    #expect(graph.outputs == ["output_label", "output_probability"])
    let imputer = try #require(graph.nodes.first { $0.opType == "Imputer" })
    #expect(imputer.domain == "ai.onnx.ml")
    #expect(imputer.inputs == ["merged_columns"])
    #expect(imputer.replacedValueFloat?.isNaN == true)
    #expect(imputer.attributes.sorted() == ["imputed_value_floats", "replaced_value_float"])
    let cast = try #require(graph.nodes.first { $0.opType == "Cast" })
    #expect(cast.castTo == 7)  // INT64
  }

  @Test func everyTruncationIsNilOrAGraphNeverACrash() throws {
    let bytes = Array(
      try Data(contentsOf: URL(fileURLWithPath: fixturePath("dataframe/models/skl_frame_imputer.onnx"))))
    #expect(ModelGraph.parse(bytes[...]) != nil)
    var refused = 0
    for length in 0..<bytes.count where ModelGraph.parse(bytes[..<length]) == nil { refused += 1 }
    #expect(refused > bytes.count / 2)
    #expect(ModelGraph.parse([0x3A, 0x05, 0x0A, 0x10][...]) == nil)  // a node longer than its graph
    #expect(ModelGraph.read(path: "/nonexistent/model.onnx") == nil)
    // Every byte changed: a graph or nil, never a read outside the bytes (ASan runs this too).
    for index in bytes.indices {
      var flipped = bytes
      flipped[index] ^= 0xA5
      _ = ModelGraph.parse(flipped[...])
    }
  }

  /// The rule, on graphs built here: every path must end in a missing-aware operator.
  @Test func anInputThatAlsoReachesAnotherOperatorOrAnIntegerCastIsNotMissingAware() {
    func node(_ op: String, _ domain: String, _ inputs: [String], _ outputs: [String]) -> ModelGraph.Node {
      var node = ModelGraph.Node()
      node.opType = op
      node.domain = domain
      node.inputs = inputs
      node.outputs = outputs
      return node
    }
    var imputer = node("Imputer", "ai.onnx.ml", ["joined"], ["imputed"])
    imputer.replacedValueFloat = .nan
    var toInt = node("Cast", "", ["c"], ["c_int"])
    toInt.castTo = 7
    var toDouble = node("Cast", "", ["d"], ["d_double"])
    toDouble.castTo = 11
    var zeroImputer = node("Imputer", "ai.onnx.ml", ["e"], ["e_imputed"])
    zeroImputer.replacedValueFloat = 0
    var graph = ModelGraph()
    graph.nodes = [
      node("Concat", "", ["a", "b", "d_double"], ["joined"]), imputer,
      node("Scaler", "ai.onnx.ml", ["b"], ["b_scaled"]), toInt, node("Concat", "", ["c_int"], ["c_joined"]),
      node("Identity", "", ["c_joined"], ["c_out"]), toDouble, zeroImputer,
      node("Reshape", "", ["f_shape_source", "g"], ["reshaped"]),
    ]
    graph.outputs = ["imputed", "b_scaled", "c_out", "e_imputed", "reshaped", "h"]
    #expect(
      graph.inputsTreatingNaNAsMissing(["a", "b", "c", "d", "e", "g", "h", "unused"]) == ["a", "d"])
  }
}

@Suite struct ColumnNameTests {
  /// What skl2onnx 1.19.1 names these DataFrame columns (`to_onnx(pipeline, frame[:1])`),
  /// and Python 3.11's `re.sub("[^\\w+]", "_", name)` for the rest.
  @Test(arguments: [
    ("sepal length (cm)", "sepal_length__cm_"), ("a+b", "a+b"), ("café", "café"), ("2nd", "_2nd"),
    ("x.y", "x_y"), ("x-y", "x_y"), ("日本", "日本"), ("tab\tx", "tab_x"), ("Sepal.Length", "Sepal_Length"),
    ("e\u{301}", "e_"), ("x²", "x²"), ("Ⅻ", "Ⅻ"), ("a·b", "a_b"), ("ª½", "ª½"),
    ("income ($k)", "income___k_"),
  ])
  func columnsBecomeSkl2onnxInputNames(column: String, input: String) {
    #expect(ColumnNames.sanitized(column) == input)
    #expect(ColumnNames.sanitized(Array(column.utf8), equals: Array(input.utf8)))
    #expect(!ColumnNames.sanitized(Array(column.utf8), equals: Array((input + "_").utf8)))
    #expect(!ColumnNames.sanitized(Array(column.utf8), equals: Array(input.dropLast().utf8)))
  }

  @Test func exactNameFirstThenTheOnlyRenamedOneElseAnAmbiguity() throws {
    #expect(try ColumnNames.find("a_b", in: ["a b", "a_b"], kind: "CSV column") == 1)
    #expect(try ColumnNames.find("a_b", in: ["id", "a b"], kind: "CSV column") == 1)
    #expect(try ColumnNames.find("a_b", in: ["id", "ab"], kind: "CSV column") == nil)
    #expect(
      throws: PipeError(
        .usage,
        "CSV columns 'a b', 'a-b' all become input 'a_b' by skl2onnx's naming; choose one with --input a_b=COLUMN"
      )
    ) { try ColumnNames.find("a_b", in: ["a b", "id", "a-b"], kind: "CSV column") }
  }

  @Test func unmappedListsTheInputsAndTheColumnsLeftOver() {
    #expect(
      ColumnNames.unmapped(
        inputs: ["x", "y"], unused: ["id", "z"], kind: "CSV column", placeholder: "COLUMN")
        == "the model's inputs 'x', 'y' find no CSV column (CSV columns that feed no input: 'id', 'z'); map them with --input NAME=COLUMN"
    )
    #expect(
      ColumnNames.unmapped(inputs: ["x"], unused: [], kind: "field", placeholder: "FIELD")
        == "the model's input 'x' finds no field (every field feeds an input); map it with --input x=FIELD")
  }

  @Test func fieldPathsSplitOnDotsExceptEscapedOnes() {
    #expect(FieldPath.components("features.x") == ["features", "x"])
    #expect(FieldPath.components(#"Sepal\.Length"#) == ["Sepal.Length"])
    #expect(FieldPath.components(#"a\\.b"#) == [#"a\"#, "b"])
    #expect(FieldPath.components(#"a\b\"#) == [#"a\b\"#])
    #expect(FieldPath.name(#"Sepal\.Length"#) == "Sepal.Length")
    #expect(FieldPath.name("a.b") == "a.b")
    #expect(FieldPath.escaped(#"in.1\x"#) == #"in\.1\\x"#)
    #expect(FieldPath.components(FieldPath.escaped(#"in.1\x"#)) == [#"in.1\x"#])
  }

  @Test func csvHeaderNamesFindTheirInputsByTheRule() throws {
    let inputs = ["sepal_length__cm_", "petal_width__cm_"].enumerated().map {
      InputRow(index: $0.offset, name: $0.element, element: .float32, rowShape: [1])
    }
    func choose(_ header: [String], _ fields: [String: String] = [:]) throws(PipeError) -> [[Int]] {
      try CSVColumnChooser(
        inputs: inputs, header: header.map { Array($0.utf8) }, firstRecord: nil,
        mapping: InputMapping(fields: fields)
      ).choose()
    }
    #expect(try choose(["id", "petal width (cm)", "sepal length (cm)"]) == [[2], [1]])
    #expect(try choose(["sepal_length__cm_", "sepal length (cm)", "petal width (cm)"]) == [[0], [2]])
    #expect(try choose(["a.b", "petal width (cm)"], ["sepal_length__cm_": #"a\.b"#]) == [[0], [1]])
    #expect(
      throws: PipeError(
        .usage,
        "the model's input 'petal_width__cm_' finds no CSV column (CSV columns that feed no input: 'id', 'petal width'); map it with --input petal_width__cm_=COLUMN or --columns"
      )
    ) { try choose(["id", "sepal length (cm)", "petal width"]) }
    #expect(
      throws: PipeError(
        .usage,
        "CSV columns 'sepal length (cm)', 'sepal length [cm]' all become input 'sepal_length__cm_' by skl2onnx's naming; choose one with --input sepal_length__cm_=COLUMN"
      )
    ) { try choose(["sepal length (cm)", "sepal length [cm]", "petal width (cm)"]) }
  }

  /// An input of several values a row takes several columns, which only --columns can name.
  @Test func aWideInputAmongSeveralIsToldToUseColumns() {
    let inputs = [
      InputRow(index: 0, name: "s", element: .string, rowShape: [1]),
      InputRow(index: 1, name: "x", element: .float32, rowShape: [2]),
    ]
    let chooser = CSVColumnChooser(
      inputs: inputs, header: ["s", "x0", "x1"].map { Array($0.utf8) }, firstRecord: Array("a,1,2".utf8),
      mapping: InputMapping())
    #expect(
      throws: PipeError(
        .usage,
        "the model's input 'x' finds no CSV column (CSV columns that feed no input: 'x0', 'x1'); input 'x' takes 2 values a row: name the columns of every input, in model order, with --columns"
      )
    ) { try chooser.choose() }
  }

  @Test func aSingleInputGathersColumnsWhoseFirstValueIsMissing() throws {
    let input = InputRow(index: 0, name: "input", element: .float32, rowShape: [4])
    let chooser = CSVColumnChooser(
      inputs: [input], header: ["id", "f0", "f1", "f2", "f3"].map { Array($0.utf8) },
      firstRecord: Array("a7,1.5,,NA,2".utf8), mapping: InputMapping())
    #expect(try chooser.choose() == [[1, 2, 3, 4]])
  }
}

@Suite struct NDJSONKeyTests {
  let inputs = ["sepal_length__cm_", "height_cm"].enumerated().map {
    InputRow(index: $0.offset, name: $0.element, element: .float32, rowShape: [1])
  }

  func decode(_ line: String, fields: [String: String] = [:]) -> Result<[[UInt8]], RecordError> {
    decodeNDJSON(line, inputs: inputs, fields: fields)
  }

  @Test func keysFindTheirInputsByTheRuleAndTheExactNameWins() {
    let expected = Result<[[UInt8]], RecordError>.success([bytes(of: [Float(1)]), bytes(of: [Float(2)])])
    #expect(decode(#"{"id": 7, "sepal length (cm)": 1, "height.cm": 2}"#) == expected)
    #expect(
      decode(#"{"sepal length (cm)": 9, "sepal_length__cm_": 1, "height_cm": 2, "height.cm": 8}"#) == expected
    )
    #expect(decode(#"{"sepal\u0020length (cm)": 1, "height.cm": 2}"#) == expected)
    #expect(
      decode(
        #"{"Sepal.Length": 1, "h": 2}"#, fields: ["sepal_length__cm_": #"Sepal\.Length"#, "height_cm": "h"])
        == expected)
  }

  @Test func twoKeysThatBecomeOneInputAreAnAmbiguity() {
    #expect(
      decode(#"{"height.cm": 2, "sepal length (cm)": 1, "height-cm": 3}"#)
        == .failure(
          RecordError(
            "fields 'height.cm', 'height-cm' all become input 'height_cm' by skl2onnx's naming; choose one with --input height_cm=FIELD"
          )))
  }

  @Test func unmappedListsTheInputsAndTheFieldsLeftOver() {
    #expect(
      decode(#"{"id": 1, "sepal length": 1, "height.cm": 2}"#)
        == .failure(
          RecordError(
            "the model's input 'sepal_length__cm_' finds no field (fields that feed no input: 'id', 'sepal length'); map it with --input sepal_length__cm_=FIELD"
          )))
    #expect(
      decode(#"{"Sepal": {"Length": 1}, "height.cm": 2}"#, fields: ["sepal_length__cm_": "Sepal.Width"])
        == .failure(
          RecordError(
            "missing field 'Sepal.Width' for input 'sepal_length__cm_' (the record has 'Sepal', 'height.cm'; feed the input from one with --input sepal_length__cm_=FIELD)"
          )))
  }
}
