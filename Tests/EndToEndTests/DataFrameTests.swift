import Foundation
import Testing

/// One case of `Tests/Fixtures/dataframe`: a model made from a pandas
/// DataFrame with gaps, the frame as pandas and pyarrow write it, and
/// onnxruntime's outputs on the same values (`generate.py`).
struct DataFrameCase {
  let name: String

  var model: String { fixture("dataframe/models/\(name).onnx") }

  func input(_ file: String) throws -> [UInt8] { try readFixture("dataframe/\(name)/\(file)") }

  /// Lines of an input file, each without its line ending.
  func lines(_ file: String) throws -> [String] {
    String(decoding: try input(file), as: UTF8.self).split(separator: "\n").map(String.init)
  }

  var expected: [String: Any] {
    get throws {
      let data = try Data(contentsOf: URL(fileURLWithPath: fixture("dataframe/\(name)/expected.json")))
      return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
  }

  /// onnxruntime's outputs (`outputs`, or another run recorded under `key`): name to one value per row.
  func outputs(_ key: String = "outputs") throws -> [String: [Any]] {
    try #require(try expected[key] as? [String: [Any]])
  }

  /// The options that give onnxpipe the values onnxruntime ran on.
  var arguments: [String] { get throws { try #require(try expected["args"] as? [String]) } }
}

let frameImputer = DataFrameCase(name: "skl_frame_imputer")
let lightGBMGaps = DataFrameCase(name: "lgbm_gaps")

/// Checks output records against onnxruntime's outputs (`expected`: output
/// name to one value per row): integers exactly, floats within 1e-6, a NaN
/// (null) only where onnxruntime has one.
func expectOnnxRuntimeOutputs(
  _ records: [[String: Any]], _ outputs: [String: [Any]], sourceLocation: SourceLocation = #_sourceLocation
) {
  for (name, rows) in outputs {
    #expect(records.count == rows.count, "\(name): \(records.count) records", sourceLocation: sourceLocation)
    for (index, (record, row)) in zip(records, rows).enumerated() {
      let actual = numbers(record[name])
      let wanted = numbers(row)
      let same =
        actual.count == wanted.count
        && zip(actual, wanted).allSatisfy { $0.isNaN && $1.isNaN || abs($0 - $1) <= 1e-6 }
      #expect(same, "\(name) row \(index + 1): \(actual) != \(wanted)", sourceLocation: sourceLocation)
    }
  }
}

@Suite struct DataFrameTests {
  @Test(arguments: ["rows.csv", "rows_na.csv"])
  func pandasCSVWithGapsAndDataFrameColumnNamesMatchesOnnxRuntime(file: String) throws {
    let result = try run(
      ["--in", "csv"] + frameImputer.arguments + [frameImputer.model], input: try frameImputer.input(file))
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr == "")
    expectOnnxRuntimeOutputs(try objects(result.stdout), try frameImputer.outputs())
  }

  @Test func pandasNDJSONWithNullsAndDataFrameKeysMatchesOnnxRuntime() throws {
    let result = try run(
      ["--in", "ndjson"] + frameImputer.arguments + [frameImputer.model],
      input: try frameImputer.input("rows.ndjson"))
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr == "")
    expectOnnxRuntimeOutputs(try objects(result.stdout), try frameImputer.outputs())
  }

  @Test func pyarrowNullsAndDataFrameColumnNamesMatchOnnxRuntime() throws {
    let result = try run(
      ["--in", "arrow", "--out", "ndjson"] + frameImputer.arguments + [frameImputer.model],
      input: try frameImputer.input("rows.arrows"))
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr == "")
    expectOnnxRuntimeOutputs(try objects(result.stdout), try frameImputer.outputs())
  }

  /// LightGBM tracks missing values: its gaps need no option, in gathered CSV and Arrow columns alike.
  @Test(
    arguments: [["--in", "csv"], ["--in", "arrow", "--out", "ndjson"]],
    ["rows.csv", "rows_na.csv", "rows.arrows"])
  func lightGBMTakesGapsAsMissingWithoutAnOption(format: [String], file: String) throws {
    guard (format[1] == "arrow") == file.hasSuffix(".arrows") else { return }
    let result = try run(format + [lightGBMGaps.model], input: try lightGBMGaps.input(file))
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr == "")
    expectOnnxRuntimeOutputs(try objects(result.stdout), try lightGBMGaps.outputs())
  }

  /// 'height.cm' feeds a StandardScaler, not the imputer: auto refuses its gap,
  /// naming the input and the option; `--missing nan` sends NaN, as onnxruntime gets it.
  @Test func missingValuesBecomeNaNOnlyWhereTheModelImputesThem() throws {
    var lines = try frameImputer.lines("rows.csv")
    #expect(lines[1].hasPrefix("1,,14.69,161.7,4,"))
    lines[1] = lines[1].replacingOccurrences(of: ",161.7,", with: ",,")
    let input = Array((lines.joined(separator: "\n") + "\n").utf8)
    let refused = try run(["--in", "csv"] + frameImputer.arguments + [frameImputer.model], input: input)
    #expect(refused.status == 65)
    #expect(
      refused.stderr
        == "onnxpipe: line 2: input 'height_cm': CSV field 4 is empty where a value is due; add --missing nan if the model treats NaN as missing\n"
    )
    #expect(refused.stdout.isEmpty)
    let filled = try run(
      ["--in", "csv", "--missing", "nan"] + frameImputer.arguments + [frameImputer.model], input: input)
    #expect(filled.status == 0, "\(filled.stderr)")
    let records = try objects(filled.stdout)
    expectOnnxRuntimeOutputs(
      Array(records.prefix(1)), try frameImputer.outputs("outputs_with_height_gap_in_row_1"))
    let rest = try frameImputer.outputs().mapValues {
      Array($0.dropFirst())
    }
    expectOnnxRuntimeOutputs(Array(records.dropFirst()), rest)
  }

  /// An int64 or string input has no NaN: its gap stops the run until --missing gives a value.
  @Test(arguments: [
    (
      "rows.csv", "csv",
      "onnxpipe: line 6: input 'visits': CSV field 5 is empty where a value is due; give this int64 input a value with --missing visits=VALUE\n"
    ),
    (
      "rows_na.csv", "csv",
      "onnxpipe: line 6: input 'visits': CSV field 5 is 'NA' where a value is due; give this int64 input a value with --missing visits=VALUE\n"
    ),
    (
      "rows.ndjson", "ndjson",
      "onnxpipe: line 5: input 'visits': null where a value is due; give this int64 input a value with --missing visits=VALUE\n"
    ),
  ])
  func anIntegerInputNeedsAValueGivenWithMissing(file: String, format: String, message: String) throws {
    let result = try run(
      ["--in", format, "--missing", "city=unknown", frameImputer.model], input: try frameImputer.input(file))
    #expect(result.status == 65)
    #expect(result.stderr == message)
    let all = try frameImputer.outputs()
    expectOnnxRuntimeOutputs(try objects(result.stdout), all.mapValues { Array($0.prefix(4)) })
  }

  /// A string input's null is refused too (NDJSON and Arrow; a CSV field is text, even an empty one,
  /// unless --missing gives the input a value).
  @Test(arguments: [
    (
      "rows.ndjson", ["--in", "ndjson"],
      "onnxpipe: line 6: input 'city': null where a value is due; give this string input a value with --missing city=VALUE\n"
    ),
    (
      "rows.arrows", ["--in", "arrow", "--out", "ndjson"],
      "onnxpipe: batch 1 (byte 1272): row 6: input 'city': column 'city' is null where a value is due; give this string input a value with --missing city=VALUE\n"
    ),
  ])
  func aStringInputNeedsAValueGivenWithMissing(file: String, format: [String], message: String) throws {
    let result = try run(
      format + ["--missing", "visits=0", frameImputer.model], input: try frameImputer.input(file))
    #expect(result.status == 65)
    #expect(result.stderr == message)
  }

  @Test func missingErrorRefusesEveryGap() throws {
    let result = try run(
      ["--in", "csv", "--missing", "error"] + frameImputer.arguments + [frameImputer.model],
      input: try frameImputer.input("rows.csv"))
    #expect(result.status == 65)
    #expect(
      result.stderr
        == "onnxpipe: line 2: input 'age__years_': CSV field 2 is empty where a value is due (--missing error)\n"
    )
  }

  /// `--keep` writes each record as it came: its empty fields, NAs and nulls included.
  @Test(arguments: ["rows.csv", "rows_na.csv", "rows.ndjson"])
  func keepWritesARecordWithGapsAsItCame(file: String) throws {
    let ndjson = file.hasSuffix(".ndjson")
    let result = try run(
      ["--in", ndjson ? "ndjson" : "csv", "--out", ndjson ? "ndjson" : "csv", "--keep"]
        + frameImputer.arguments
        + [frameImputer.model],
      input: try frameImputer.input(file))
    #expect(result.status == 0, "\(result.stderr)")
    let inputs = try frameImputer.lines(file)
    let outputs = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
    #expect(outputs.count == inputs.count)
    if ndjson {
      for (input, output) in zip(inputs, outputs) {
        #expect(output.hasPrefix(String(input.dropLast()) + #","output_label":"#), "\(output)")
      }
    } else {
      #expect(outputs.first == inputs[0] + ",output_label,output_probability_0,output_probability_1")
      for (input, output) in zip(inputs, outputs).dropFirst() {
        #expect(output.hasPrefix(input + ","), "\(output)")
        #expect(output.split(separator: ",", omittingEmptySubsequences: false).count == 9)
      }
    }
    #expect(inputs.contains { $0.contains(ndjson ? ":null," : file == "rows.csv" ? ",," : ",NA,") })
  }

  /// R names a column `height.cm`; `\.` keeps the dot in the key instead of descending.
  @Test func aDottedKeyIsNamedWithAnEscapedDot() throws {
    let input = try frameImputer.input("rows.ndjson")
    let escaped = try run(
      ["--in", "ndjson", "--input", #"height_cm=height\.cm"#] + frameImputer.arguments + [frameImputer.model],
      input: input)
    #expect(escaped.status == 0, "\(escaped.stderr)")
    expectOnnxRuntimeOutputs(try objects(escaped.stdout), try frameImputer.outputs())
    let nested = try run(
      ["--in", "ndjson", "--input", "height_cm=height.cm"] + frameImputer.arguments + [frameImputer.model],
      input: input)
    #expect(nested.status == 65)
    #expect(
      nested.stderr
        == "onnxpipe: line 1: missing field 'height.cm' for input 'height_cm' (the record has 'id', 'age (years)', 'income ($k)', 'height.cm', 'visits', 'city'; feed the input from one with --input height_cm=FIELD)\n"
    )
  }

  @Test func twoColumnsThatBecomeOneInputAreAUsageErrorNamingThem() throws {
    var lines = try frameImputer.lines("rows.csv")
    lines = lines.enumerated().map { $0.offset == 0 ? $0.element + ",age_(years)" : $0.element + ",1" }
    let result = try run(
      ["--in", "csv", frameImputer.model],
      input: Array(lines.joined(separator: "\n").utf8))
    #expect(result.status == 64)
    #expect(
      result.stderr
        == "onnxpipe: CSV columns 'age (years)', 'age_(years)' all become input 'age__years_' by skl2onnx's naming; choose one with --input age__years_=COLUMN\nSee 'onnxpipe --help'.\n"
    )
  }

  @Test func inputsWithoutAColumnAreListedWithTheColumnsLeftOver() throws {
    var lines = try frameImputer.lines("rows.csv")
    lines[0] = lines[0].replacingOccurrences(of: ",city", with: ",town").replacingOccurrences(
      of: "visits", with: "Visits")
    let result = try run(
      ["--in", "csv", frameImputer.model],
      input: Array(lines.joined(separator: "\n").utf8))
    #expect(result.status == 64)
    #expect(
      result.stderr
        == "onnxpipe: the model's inputs 'visits', 'city' find no CSV column (CSV columns that feed no input: 'id', 'Visits', 'town'); map them with --input NAME=COLUMN or --columns\nSee 'onnxpipe --help'.\n"
    )
    let arrow = try run(
      ["--in", "arrow", "--out", "ndjson", "--input", "visits=nothing", frameImputer.model],
      input: try frameImputer.input("rows.arrows"))
    #expect(arrow.status == 78)
    #expect(
      arrow.stderr
        == "onnxpipe: the stream has no column 'nothing' for input 'visits' (columns: id, age (years), income ($k), height.cm, visits, city); map one with --input visits=COLUMN\n"
    )
  }
}
