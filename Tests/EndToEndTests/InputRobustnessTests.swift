import Foundation
import Testing

/// What a new user runs into first: headerless CSV, byte-order marks,
/// `--keep` name clashes, the wrong `--in`, and output that depends on timing.
@Suite struct InputRobustnessTests {
  let model = fixture("models/logreg.onnx")
  let headerless = Array("5.1,3.5,1.4,0.2\n4.9,3.0,1.4,0.2\n6.3,3.3,6.0,2.5\n".utf8)

  // MARK: CSV headers

  @Test func aCSVWhoseFirstLineIsAllNumbersIsRefusedNotShortened() throws {
    let result = try run(["--in", "csv", "--stats", model], input: headerless)
    #expect(result.status == 65)
    #expect(result.stdout.isEmpty)
    #expect(
      result.stderr
        == "onnxpipe: line 1: the first CSV record holds only numbers, so it looks like data, not a header; add --no-header if the input has no header line, or --header if this is one\n"
    )
  }

  @Test func noHeaderScoresEveryLineAndNumbersTheColumns() throws {
    let all = try run(["--in", "csv", "--no-header", model], input: headerless)
    #expect(all.status == 0, "\(all.stderr)")
    #expect(try objects(all.stdout).count == 3)
    // Each line alone gives the same record: the first line was scored, not taken as a header.
    let first = try run(["--in", "csv", "--no-header", model], input: Array(headerless.prefix(16)))
    #expect(all.stdout.starts(with: first.stdout) && !first.stdout.isEmpty)
    let kept = try run(
      [
        "--in", "csv", "--no-header", "--keep", "--out", "csv", "--columns", "1,2,3,4", "--outputs", "label",
        model,
      ],
      input: headerless)
    #expect(kept.status == 0, "\(kept.stderr)")
    let lines = String(decoding: kept.stdout, as: UTF8.self).split(separator: "\n")
    try #require(lines.count == 4)
    #expect(lines.first == "1,2,3,4,label")
    #expect(lines[1].hasPrefix("5.1,3.5,1.4,0.2,"))
  }

  @Test func headerTakesAnAllNumberFirstLineAsTheHeader() throws {
    let result = try run(
      ["--in", "csv", "--header", "--columns", "5.1,3.5,1.4,0.2", model], input: headerless)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try objects(result.stdout).count == 2)
  }

  // MARK: byte-order marks

  @Test func aByteOrderMarkIsDroppedInEveryTextFormat() throws {
    let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
    let ndjson = try run(["--in", "ndjson", model], input: bom + Array("{\"X\":[1,2,3,4]}\n".utf8))
    let plain = try run(["--in", "ndjson", model], input: Array("{\"X\":[1,2,3,4]}\n".utf8))
    #expect(ndjson.status == 0, "\(ndjson.stderr)")
    #expect(ndjson.stdout == plain.stdout)

    let csv = try run(
      ["--in", "csv", "--columns", "a,b,c,d", "--keep", "--out", "csv", "--outputs", "label", model],
      input: bom + Array("a,b,c,d\n1,2,3,4\n".utf8))
    #expect(csv.status == 0, "\(csv.stderr)")
    #expect(String(decoding: csv.stdout, as: UTF8.self).hasPrefix("a,b,c,d,label\n1,2,3,4,"))

    let lines = try run(
      ["--in", "lines", "--keep", "--outputs", "label", fixture("models/text_clf.onnx")],
      input: bom + Array("hello\n".utf8))
    #expect(lines.status == 0, "\(lines.stderr)")
    #expect(try objects(lines.stdout).first?["line"] as? String == "hello")
  }

  // MARK: --keep name clashes

  @Test func keepRefusesAFieldNamedLikeAnOutputAndPrefixRenamesTheOutputs() throws {
    let record = Array(#"{"label":"cat","X":[1,2,3,4]}"#.utf8) + [0x0A]
    let clash = try run(["--in", "ndjson", "--keep", model], input: record)
    #expect(clash.status == 65)
    #expect(clash.stdout.isEmpty)
    #expect(
      clash.stderr
        == "onnxpipe: line 1: --keep: the record has a field 'label', which an output of that name would repeat; rename the outputs with --prefix (e.g. --prefix pred_)\n"
    )
    let renamed = try run(["--in", "ndjson", "--keep", "--prefix", "pred_", model], input: record)
    #expect(renamed.status == 0, "\(renamed.stderr)")
    let text = String(decoding: renamed.stdout, as: UTF8.self)
    #expect(text.hasPrefix(#"{"label":"cat","X":[1,2,3,4],"pred_label":"#))
    #expect(text.contains(#","pred_probabilities":["#))
  }

  @Test func keepRefusesACSVColumnNamedLikeAnOutputColumn() throws {
    let input = Array("a,b,c,probabilities_1\n1,2,3,4\n".utf8)
    let clash = try run(
      ["--in", "csv", "--keep", "--out", "csv", "--columns", "a,b,c,probabilities_1", model], input: input)
    #expect(clash.status == 64)
    #expect(
      clash.stderr.hasPrefix(
        "onnxpipe: --keep: the CSV column 'probabilities_1' has the name of an output column"))
    let renamed = try run(
      [
        "--in", "csv", "--keep", "--out", "csv", "--prefix", "p_", "--columns", "a,b,c,probabilities_1",
        model,
      ],
      input: input)
    #expect(renamed.status == 0, "\(renamed.stderr)")
    #expect(
      String(decoding: renamed.stdout, as: UTF8.self).hasPrefix(
        "a,b,c,probabilities_1,p_label,p_probabilities_0,p_probabilities_1,p_probabilities_2\n"))
  }

  // MARK: the wrong --in

  @Test(arguments: [
    (
      "a,b,c,d\n1,2,3,4\n", [String](),
      "frame 1 (byte 0): not a raw frame stream: the input looks like CSV text: add --in csv"
    ),
    (
      "{\"X\":[1,2,3,4]}\n", [],
      "frame 1 (byte 0): not a raw frame stream: the input looks like NDJSON text: add --in ndjson"
    ),
    (
      "GET / HTTP/1.1 some log line\n", [],
      "frame 1 (byte 0): not a raw frame stream: the input looks like text lines: add --in lines (or --in csv, --in ndjson)"
    ),
  ])
  func textReadAsFramesSaysWhatItLooksLike(input: String, extra: [String], message: String) throws {
    let result = try run(extra + [model], input: Array(input.utf8))
    #expect(result.status == 65)
    #expect(result.stderr == "onnxpipe: \(message)\n")
  }

  @Test func gzipDataSaysToDecompressIt() throws {
    // gzip -c of "a,b,c,d\n1,2,3,4\n"
    let gzip: [UInt8] = [
      0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x4B, 0xD4, 0x49, 0xD2, 0x49, 0xD6,
      0x49, 0xE1, 0x32, 0xD4, 0x31, 0xD2, 0x31, 0xD6, 0x31, 0xE1, 0x02, 0x00, 0x45, 0x62, 0x72, 0xE8,
      0x10, 0x00, 0x00, 0x00,
    ]
    let csv = try run(["--in", "csv", model], input: gzip)
    #expect(csv.status == 65)
    #expect(
      csv.stderr
        == "onnxpipe: line 1: CSV header is not valid UTF-8; the input looks like gzip data: decompress it first (zcat FILE | onnxpipe ...)\n"
    )
    let raw = try run([model], input: gzip)
    #expect(raw.status == 65)
    #expect(
      raw.stderr.hasSuffix(
        "; the input looks like gzip data: decompress it first (zcat FILE | onnxpipe ...)\n"))
  }

  // MARK: --deterministic

  /// logreg's GEMM rounds a row differently in runs of different sizes: the same
  /// records must still give the same bytes whether they arrive at once or one by one.
  @Test func deterministicOutputDoesNotDependOnArrivalOrBatchSize() throws {
    var records: [[UInt8]] = []
    var state: UInt32 = 7
    for _ in 0..<24 {
      let values = (0..<4).map { _ -> String in
        state = state &* 1_103_515_245 &+ 12345
        return String(Float(state >> 8 % 20_000) / 3_000.0 - 2)
      }
      records.append(Array("{\"X\":[\(values.joined(separator: ","))]}\n".utf8))
    }
    let atOnce = try run(["--in", "ndjson", "--deterministic", model], input: Array(records.joined()))
    try #require(atOnce.status == 0, "\(atOnce.stderr)")
    let small = try run(
      ["--in", "ndjson", "--deterministic", "--batch-size", "5", model], input: Array(records.joined()))
    #expect(small.stdout == atOnce.stdout)

    let live = try LiveProcess(["--in", "ndjson", "--deterministic", "--max-delay", "0", model])
    for record in records {
      live.send(record)
      Thread.sleep(forTimeInterval: 0.02)
    }
    try live.stdin.fileHandleForWriting.close()
    let end = live.finish()
    #expect(end.status == 0, "\(end.stderr)")
    #expect(end.rest == atOnce.stdout)
    #expect(try objects(end.rest).count == records.count)
  }
}
