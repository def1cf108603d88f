import Foundation
import Testing

/// Models as the converters write them (issue 15), end to end; every value is
/// also checked against onnxruntime by the compatibility corpus (`make compat`).
@Suite struct ModelAdapterTests {
  func compat(_ relative: String) -> String { fixture("compat/" + relative) }

  @Test func aModelWithItsBatchFixedToOneScoresAnyFrameAndBatch() throws {
    let model = compat("models/torch_fixed_batch1.onnx")
    let rows = try readFixture("compat/cases/torch_fixed_batch1/rows.ndjson")
    let text = try run(["--in", "ndjson", "--batch-size", "16", model], input: rows)
    #expect(text.status == 0, "\(text.stderr)")
    #expect(try objects(text.stdout).count == 37)

    let frames = try readFixture("compat/cases/torch_fixed_batch1/rows.bin")
    let raw = try run(["--stats", model], input: frames)
    #expect(raw.status == 0, "\(raw.stderr)")
    #expect(raw.stderr.contains(" batch_rows=fixed(1) "), "\(raw.stderr)")
    // One output frame per input frame, 12 bytes (3 float32) a row.
    let inputs = try #require(splitFrames(frames))
    let outputs = try #require(splitFrames(raw.stdout))
    #expect(outputs.map(\.count) == inputs.map { $0.count / 40 * 12 })

    let inspect = try run(["inspect", model])
    #expect(
      String(decoding: inspect.stdout, as: UTF8.self).contains(
        "\nrows per run: fixed at 1 by the model (frames and batches are run one row at a time)\n"))
  }

  @Test func outputsThatAreNotPerRowAreLeftOutWithOneLine() throws {
    let model = compat("models/non_row_outputs.onnx")
    let rows = try readFixture("compat/cases/non_row_outputs/rows.ndjson")
    let result = try run(["--in", "ndjson", model], input: rows)
    #expect(result.status == 0)
    #expect(
      result.stderr
        == "onnxpipe: leaving out outputs that are not one row per record: 'total' (float32[] for 2 rows), 'centers' (float32[3,4] for 2 rows), 'rows_seen' (int64[1] for 2 rows)\n"
    )
    #expect(try objects(result.stdout).allSatisfy { $0.keys.sorted() == ["scores"] })

    let named = try run(["--in", "ndjson", "--outputs", "scores,total", model], input: rows)
    #expect(named.status == 64)
    #expect(
      named.stderr.hasPrefix(
        "onnxpipe: --outputs: output 'total' is not one row per record (a probe run returned float32[] for 2 rows)"
      ))
  }

  /// CatBoost's regressor declares [N] and returns [N,1]: the Arrow schema follows what it returns.
  @Test func anOutputShapeFollowsTheRunNotTheDeclaration() throws {
    let model = compat("models/catboost_regressor.onnx")
    let result = try run(
      ["--in", "arrow", "--out", "ndjson", model],
      input: try readFixture("compat/cases/catboost_regressor/rows.arrows"))
    #expect(result.status == 0, "\(result.stderr)")
    let arrow = try run(
      ["--in", "arrow", model], input: try readFixture("compat/cases/catboost_regressor/rows.arrows"))
    #expect(arrow.status == 0, "\(arrow.stderr)")
    #expect(arrow.stderr.isEmpty)
  }

  /// ZipMap probabilities in raw frames: a dense [N, classes] block, the same
  /// values the NDJSON map holds, in key order.
  @Test func aZipMapOutputIsADenseBlockInRawFrames() throws {
    let model = fixture("models/logreg_zipmap.onnx")
    let values: [Float] = [0.1, 0.2, 0.3, 0.4, -1, 2, -3, 4, 5, 1, 0.5, 0.25]
    let raw = try run(
      ["--outputs", "output_label,output_probability", model], input: frame(floatBytes(values)))
    #expect(raw.status == 0, "\(raw.stderr)")
    let payload = try #require(splitFrames(raw.stdout)?.first)
    #expect(payload.count == 3 * 8 + 3 * 3 * 4)
    let dense = payload[24...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }

    let lines = (0..<3).map { row in
      "{\"input\":[\(values[(4 * row)..<(4 * row + 4)].map { String($0) }.joined(separator: ","))]}\n"
    }
    let text = try run(
      ["--in", "ndjson", "--input", "X=input", model], input: Array(lines.joined().utf8))
    #expect(text.status == 0, "\(text.stderr)")
    let maps = try objects(text.stdout).map { try #require($0["output_probability"] as? [String: Double]) }
    let fromText = maps.flatMap { map in map.keys.sorted { Int($0)! < Int($1)! }.map { Float(map[$0]!) } }
    #expect(dense == fromText)
  }
}
