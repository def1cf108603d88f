import Foundation
import Testing

/// Parses NDJSON text into objects.
func objects(_ bytes: [UInt8]) throws -> [[String: Any]] {
  try String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { line in
    try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
  }
}

/// Flattens a JSON value (number, nested arrays, object of numbers) into doubles, keys sorted.
func numbers(_ value: Any?) -> [Double] {
  switch value {
  case let number as NSNumber: return [number.doubleValue]
  case let array as [Any]: return array.flatMap(numbers)
  case let object as [String: Any]: return object.keys.sorted().flatMap { numbers(object[$0]) }
  default: return [.nan]
  }
}

/// Checks each output object against onnxruntime's expected outputs (within 1e-6).
func expectMatches(_ output: [[String: Any]], expected name: String, keys: [String]) throws {
  let data = try Data(contentsOf: URL(fileURLWithPath: fixture("streams/\(name).expected.json")))
  let expected = try #require(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
  #expect(output.count == expected.count)
  for (index, (actual, wanted)) in zip(output, expected).enumerated() {
    for key in keys {
      let a = numbers(actual[key])
      let e = numbers(wanted[key])
      guard a.count == e.count, zip(a, e).allSatisfy({ abs($0 - $1) <= 1e-6 }) else {
        Issue.record("\(name) record \(index + 1) \(key): \(a) != \(e)")
        return
      }
    }
  }
}

@Suite struct TextGoldenTests {
  @Test(arguments: [1, 2, 4])
  func ndjsonMatchesOnnxRuntime(workers: Int) throws {
    let result = try run(
      [
        "--in", "ndjson", "--input", "X=features", "-j", String(workers), "--batch-size", "64",
        fixture("models/rf32.onnx"),
      ],
      input: try readFixture("streams/rf32.ndjson"))
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr == "")
    try expectMatches(try objects(result.stdout), expected: "rf32.ndjson", keys: ["label", "probabilities"])
  }

  /// A NUL inside a JSON or CSV string reaches the model (an Identity here) and comes back whole,
  /// as with onnxruntime's Python API; it was cut at the NUL without a word.
  @Test func aNulInsideAStringIsPartOfIt() throws {
    let model = fixture("models/strings.onnx")
    let ndjson = try run(
      ["--in", "ndjson", model], input: Array(#"{"s":"a\u0000b","x":[1,2]}"#.utf8) + [0x0A])
    #expect(ndjson.status == 0, "\(ndjson.stderr)")
    #expect(String(decoding: ndjson.stdout, as: UTF8.self) == #"{"s_out":"a\u0000b","y":[2.0,3.0]}"# + "\n")
    let csv = try run(
      ["--in", "csv", "--out", "csv", "--columns", "s,x0,x1", model],
      input: Array("s,x0,x1\n\"a\u{0}b\",1,2\n".utf8))
    #expect(csv.status == 0, "\(csv.stderr)")
    #expect(String(decoding: csv.stdout, as: UTF8.self).split(separator: "\n").last == "a\u{0}b,2.0,3.0")
  }

  /// A CSV header with no rows (DuckDB's COPY of an empty result) is an empty result: exit 0, and
  /// CSV output's header; the columns were judged by the first data row, and the run stopped (64).
  @Test func aCSVHeaderWithNoRowsIsAnEmptyResult() throws {
    let model = fixture("models/logreg.onnx")
    let ndjson = try run(["--in", "csv", model], input: Array("f0,f1,f2,f3\n".utf8))
    #expect(ndjson.status == 0, "\(ndjson.stderr)")
    #expect(ndjson.stdout.isEmpty && ndjson.stderr.isEmpty)
    let csv = try run(["--in", "csv", "--out", "csv", "--keep", model], input: Array("f0,f1,f2,f3\r\n".utf8))
    #expect(csv.status == 0, "\(csv.stderr)")
    #expect(
      String(decoding: csv.stdout, as: UTF8.self)
        == "f0,f1,f2,f3,label,probabilities_0,probabilities_1,probabilities_2\n")
  }

  @Test func csvInMatchesOnnxRuntime() throws {
    let columns = (0..<32).map { "f\($0)" }.joined(separator: ",")
    let result = try run(
      ["--in", "csv", "--columns", columns, fixture("models/rf32.onnx")],
      input: try readFixture("streams/rf32.csv"))
    #expect(result.status == 0, "\(result.stderr)")
    try expectMatches(try objects(result.stdout), expected: "rf32.csv", keys: ["label", "probabilities"])
  }

  @Test func csvOutHasAHeaderAndOneColumnPerElement() throws {
    let columns = (0..<32).map { "f\($0)" }.joined(separator: ",")
    let result = try run(
      ["--format", "csv", "--columns", columns, fixture("models/rf32.onnx")],
      input: try readFixture("streams/rf32.csv"))
    #expect(result.status == 0, "\(result.stderr)")
    let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
    #expect(lines.first == "label,probabilities_0,probabilities_1")
    let rows: [[String: Any]] = lines.dropFirst().map { line in
      let fields = line.split(separator: ",").map { Double($0)! }
      return ["label": fields[0], "probabilities": Array(fields[1...])]
    }
    try expectMatches(rows, expected: "rf32.csv", keys: ["label", "probabilities"])
  }

  @Test func zipMapOutputsBecomeObjects() throws {
    let result = try run(
      ["--in", "ndjson", fixture("models/logreg_zipmap.onnx")],
      input: try readFixture("streams/logreg_zipmap.ndjson"))
    #expect(result.status == 0, "\(result.stderr)")
    let output = try objects(result.stdout)
    #expect((output.first?["output_probability"] as? [String: Any])?.keys.sorted() == ["0", "1", "2"])
    try expectMatches(output, expected: "logreg_zipmap.ndjson", keys: ["output_label", "output_probability"])
  }

  @Test func zipMapCSVColumnsAreNamedByClass() throws {
    let result = try run(
      ["--in", "ndjson", "--out", "csv", fixture("models/logreg_zipmap.onnx")],
      input: Array(
        String(decoding: try readFixture("streams/logreg_zipmap.ndjson"), as: UTF8.self)
          .split(separator: "\n").prefix(3).joined(separator: "\n").utf8))
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      String(decoding: result.stdout, as: UTF8.self).hasPrefix(
        "output_label,output_probability_0,output_probability_1,output_probability_2\n"))
  }

  @Test func textClassifierScoresLogLines() throws {
    let result = try run(
      ["--in", "lines", "--keep", fixture("models/text_clf.onnx")],
      input: try readFixture("streams/text.lines"))
    #expect(result.status == 0, "\(result.stderr)")
    let output = try objects(result.stdout)
    try expectMatches(output, expected: "text.lines", keys: ["label", "probabilities"])
    let lines = String(decoding: try readFixture("streams/text.lines"), as: UTF8.self).split(separator: "\n")
    #expect(output.map { $0["line"] as? String } == lines.map { String($0) })
  }

  @Test func keepRoundTripsEveryInputField() throws {
    let input = try readFixture("streams/rf32.ndjson")
    let result = try run(
      ["--in", "ndjson", "--input", "X=features", "--keep", fixture("models/rf32.onnx")], input: input)
    #expect(result.status == 0)
    let originals = try objects(input)
    let kept = try objects(result.stdout)
    #expect(kept.count == originals.count)
    for (original, output) in zip(originals, kept) {
      #expect(Set(output.keys) == Set(original.keys).union(["label", "probabilities"]))
      for key in original.keys {
        #expect(
          String(describing: output[key] ?? "missing") == String(describing: original[key] ?? "missing"),
          "field \(key) changed")
      }
    }
    // Byte for byte: the kept record is the input record up to its closing brace.
    let inLines = String(decoding: input, as: UTF8.self).split(separator: "\n")
    let outLines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
    for (inLine, outLine) in zip(inLines, outLines) {
      #expect(outLine.hasPrefix(inLine.dropLast() + ",\"label\":"))
    }
  }

  @Test func csvKeepCopiesTheOriginalColumnsUnchanged() throws {
    let input = try readFixture("streams/rf32.csv")
    let columns = (0..<32).map { "f\($0)" }.joined(separator: ",")
    let result = try run(
      ["--format", "csv", "--keep", "--columns", columns, fixture("models/rf32.onnx")], input: input)
    #expect(result.status == 0)
    let inLines = String(decoding: input, as: UTF8.self).split(separator: "\n")
    let outLines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
    #expect(inLines.count == outLines.count)
    #expect(outLines.first == inLines.first! + ",label,probabilities_0,probabilities_1")
    for (inLine, outLine) in zip(inLines, outLines).dropFirst() {
      #expect(outLine.hasPrefix(inLine + ","))
    }
  }
}
