import Foundation
import Testing

/// `--model-field NAME`: the field keeps its exact name (`--prefix` renames
/// only the model's outputs), and a name an output record would then hold
/// twice is refused at start-up, in every format.
@Suite struct ModelFieldTests {
  let model = fixture("models/logreg.onnx")
  let record = Array(#"{"X":[1,2,3,4]}"#.utf8) + [0x0A]

  /// What a usage error prints.
  func usage(_ message: String) -> String { "onnxpipe: \(message)\nSee 'onnxpipe --help'.\n" }

  func clash(_ name: String) -> String {
    usage(
      "--model-field: '\(name)' is also the name of an output column, which would then appear twice; give --model-field another name, or rename the outputs with --prefix (e.g. --prefix pred_)"
    )
  }

  /// logreg's outputs are `label` and `probabilities` (3 values: CSV columns
  /// probabilities_0 to _2). Before, each of these wrote the name twice, exit 0.
  @Test(arguments: [
    ("ndjson", "label"), ("csv", "label"), ("arrow", "label"), ("ndjson", "probabilities"),
    ("csv", "probabilities_1"), ("arrow", "probabilities"),
  ])
  func aModelFieldNamedLikeAnOutputIsRefused(output: String, name: String) throws {
    let result = try run(
      ["--in", "ndjson", "--out", output, "--force", "--model-field", name, model], input: record)
    #expect(result.status == 64)
    #expect(result.stdout.isEmpty)
    #expect(result.stderr == clash(name))
  }

  /// A name only another format's columns have is no clash: NDJSON has no `probabilities_1` key.
  @Test func aCSVColumnNameIsFreeInNDJSON() throws {
    let result = try run(["--in", "ndjson", "--model-field", "probabilities_1", model], input: record)
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try objects(result.stdout).first)
    #expect(Set(object.keys) == ["label", "probabilities", "probabilities_1"])
    #expect((object["probabilities_1"] as? String)?.count == 12)
  }

  /// `--outputs` without the output the field is named like: the field is written, under its
  /// name (before, the model's `label` output was selected for it and the identity was lost).
  @Test func aModelFieldNamedLikeAnOutputLeftOutByOutputsIsTheModelField() throws {
    let result = try run(
      ["--in", "ndjson", "--outputs", "probabilities", "--model-field", "label", model], input: record)
    #expect(result.status == 0, "\(result.stderr)")
    let text = String(decoding: result.stdout, as: UTF8.self)
    #expect(text.hasPrefix(#"{"probabilities":["#))
    #expect(text.hasSuffix(#"],"label":"\#(try identity(model))"}"# + "\n"))
  }

  // MARK: --prefix

  @Test func prefixLeavesTheModelFieldsNameAlone() throws {
    let ndjson = try run(
      ["--in", "ndjson", "--keep", "--model-field", "m", "--prefix", "pred_", model], input: record)
    #expect(ndjson.status == 0, "\(ndjson.stderr)")
    let text = String(decoding: ndjson.stdout, as: UTF8.self)
    #expect(text.hasPrefix(#"{"X":[1,2,3,4],"pred_label":2,"pred_probabilities":["#))
    #expect(text.hasSuffix(#"],"m":"\#(try identity(model))"}"# + "\n"))

    let csv = try run(
      ["--in", "ndjson", "--out", "csv", "--model-field", "m", "--prefix", "pred_", model], input: record)
    #expect(csv.status == 0, "\(csv.stderr)")
    #expect(
      String(decoding: csv.stdout, as: UTF8.self).hasPrefix(
        "pred_label,pred_probabilities_0,pred_probabilities_1,pred_probabilities_2,m\n"))
  }

  /// The way out the clash message gives: `--prefix` renames the outputs, the field keeps `label`.
  @Test func prefixResolvesAClashWithAnOutput() throws {
    let result = try run(
      ["--in", "ndjson", "--model-field", "label", "--prefix", "pred_", model], input: record)
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try objects(result.stdout).first)
    #expect(Set(object.keys) == ["pred_label", "pred_probabilities", "label"])
    #expect(object["label"] as? String == (try identity(model)))
    #expect(object["pred_label"] as? Int == 2)
  }

  // MARK: --keep

  /// A kept field named like the model field: refused, and `--prefix` is not offered (it no
  /// longer renames the field).
  @Test func keepRefusesAnInputFieldNamedLikeTheModelField() throws {
    let ndjson = try run(
      ["--in", "ndjson", "--keep", "--model-field", "m", model],
      input: Array(#"{"m":1,"X":[1,2,3,4]}"#.utf8) + [0x0A])
    #expect(ndjson.status == 65)
    #expect(ndjson.stdout.isEmpty)
    #expect(
      ndjson.stderr
        == "onnxpipe: line 1: --keep: the record has a field 'm', which --model-field m would repeat; give --model-field another name\n"
    )

    let csv = try run(
      ["--in", "csv", "--keep", "--out", "csv", "--columns", "a,b,c,m", "--model-field", "m", model],
      input: Array("a,b,c,m\n1,2,3,4\n".utf8))
    #expect(csv.status == 64)
    #expect(
      csv.stderr
        == usage(
          "--keep: the CSV column 'm' has the --model-field name, which would then appear twice; give --model-field another name"
        ))

    let lines = try run(
      ["--in", "lines", "--keep", "--model-field", "line", fixture("models/text_clf.onnx")],
      input: Array("hello\n".utf8))
    #expect(lines.status == 64)
    #expect(
      lines.stderr
        == usage(
          "--keep: the key 'line' has the --model-field name, which would then appear twice; give --model-field another name"
        ))

    let arrow = try run(
      ["--in", "arrow", "--out", "arrow", "--keep", "--force", "--model-field", "city"]
        + frameImputer.arguments + [frameImputer.model],
      input: try frameImputer.input("rows.arrows"))
    #expect(arrow.status == 64)
    #expect(arrow.stdout.isEmpty)
    #expect(
      arrow.stderr
        == usage(
          "--keep: the input column 'city' has the --model-field name, which would then appear twice; give --model-field another name"
        ))
  }
}
