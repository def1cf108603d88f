import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Frames of rf32 rows (32 float32 each) with the given row counts, values from a fixed seed.
func rf32Frames(_ sizes: [Int], seed: UInt64 = 7) -> [UInt8] {
  var state = seed
  var bytes: [UInt8] = []
  for rows in sizes {
    var values: [Float] = []
    values.reserveCapacity(rows * 32)
    for _ in 0..<(rows * 32) {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      values.append(Float(Int(state >> 40) % 4000 - 2000) / 1000)
    }
    bytes += frame(floatBytes(values))
  }
  return bytes
}

/// Frame sizes a stream may come in: what adaptive batching merges, cuts, or leaves.
enum FramePattern: String, CaseIterable, CustomTestStringConvertible, Sendable {
  case oneRowFrames, mixedSizes, oneHugeFrame, zeroRowFrames

  var sizes: [Int] {
    switch self {
    case .oneRowFrames: Array(repeating: 1, count: 1500)
    case .mixedSizes: [1, 0, 3, 700, 1, 1, 2, 0, 9000, 5, 64, 65, 4096, 1, 0, 130, 2]
    case .oneHugeFrame: [12_000]
    case .zeroRowFrames: Array(repeating: 0, count: 40)
    }
  }

  var testDescription: String { rawValue }
}

@Suite struct AdaptiveBatchingTests {
  static let model = fixture("models/rf32.onnx")

  /// Merging and cutting change how rows reach the model, never the bytes that come out.
  @Test(arguments: FramePattern.allCases, [1, 2, 3])
  func outputIsByteIdenticalWithAdaptiveBatchingOnAndOff(pattern: FramePattern, workers: Int) throws {
    let input = rf32Frames(pattern.sizes)
    let off = try run(["-j", "\(workers)", "--batch-rows", "off", Self.model], input: input)
    #expect(off.status == 0, "\(off.stderr)")
    #expect(splitFrames(off.stdout)?.count == pattern.sizes.count)
    for setting in ["auto", "64", "1000"] {
      let on = try run(["-j", "\(workers)", "--batch-rows", setting, Self.model], input: input)
      #expect(on.status == 0, "\(on.stderr)")
      #expect(on.stdout == off.stdout, "--batch-rows \(setting) changed the output")
    }
  }

  @Test func statsReportTheChosenBatchAndFramesAreMerged() throws {
    let input = rf32Frames(Array(repeating: 1, count: 300))
    let result = try run(["-j", "2", "--batch-rows", "100", "--stats", Self.model], input: input)
    #expect(result.status == 0)
    #expect(result.stderr.contains(" batch_rows=100 "), "\(result.stderr)")
    #expect(result.stderr.contains(" rows=300 "))
    // 300 one-row frames in runs of up to 100 rows: 3 batches reach the writer, not 300.
    #expect(result.stderr.contains(" batches=3 "), "\(result.stderr)")
  }

  @Test func autoLeavesFramesAsTheyComeWhenOutputsDependOnTheBatch() throws {
    // The logistic regression's GEMM rounds differently at different batch sizes.
    let rows = floatBytes((0..<40).map { Float($0) / 10 - 2 })
    let input = Array(repeating: frame(rows), count: 20).flatMap { $0 }
    let auto = try run(["--stats", fixture("models/logreg.onnx")], input: input)
    #expect(auto.stderr.contains(" batch_rows=off(outputs_depend_on_batch) "), "\(auto.stderr)")
    let off = try run(["--batch-rows", "off", fixture("models/logreg.onnx")], input: input)
    #expect(auto.stdout == off.stdout)
  }

  /// `auto` tries 64, 512 and 4096 rows per run on the stream itself and says what it measured and chose.
  @Test func autoChoosesFromTheStreamsOwnRunsAndReportsThem() throws {
    let input = rf32Frames(Array(repeating: 4096, count: 50))
    let result = try run(["-j", "2", "--stats", Self.model], input: input)
    #expect(result.status == 0, "\(result.stderr)")
    let fields = result.stderr.split(separator: " ")
    let chosen = fields.first { $0.hasPrefix("batch_rows=") }
    #expect(
      ["batch_rows=64(auto)", "batch_rows=512(auto)", "batch_rows=4096(auto)"].contains(chosen),
      "\(result.stderr)")
    let tuning = fields.first { $0.hasPrefix("batch_tuning=") }?.dropFirst("batch_tuning=".count)
    let sizes = tuning?.split(separator: ",").map { $0.split(separator: ":") } ?? []
    #expect(sizes.map { $0.first.map(String.init) } == ["64", "512", "4096"], "\(result.stderr)")
    #expect(sizes.allSatisfy { $0.count == 2 && (Int($0[1]) ?? 0) > 0 })
    #expect(splitFrames(result.stdout)?.count == 50)
  }

  /// A stream too short to try every size says so, and is scored all the same.
  @Test func autoOnAShortStreamReportsItDidNotSettle() throws {
    let input = rf32Frames(Array(repeating: 1, count: 300))
    let result = try run(["--stats", Self.model], input: input)
    #expect(result.status == 0)
    #expect(result.stderr.contains(" batch_rows=512(auto,unsettled) "), "\(result.stderr)")
    #expect(!result.stderr.contains("batch_tuning="))
    #expect(splitFrames(result.stdout)?.count == 300)
  }

  /// `--workers auto` measures both thread layouts, says which it took, and scores the same.
  @Test func workersAutoReportsItsChoiceAndScoresTheSame() throws {
    let input = rf32Frames([100, 3, 2000])
    let chosen = try run(["--workers", "auto", "--stats", Self.model], input: input)
    #expect(chosen.status == 0, "\(chosen.stderr)")
    let spread = chosen.stderr.contains(" workers=2(auto) intra_threads=1(auto) ")
    let inside = chosen.stderr.contains(" workers=1(auto) intra_threads=2(auto) ")
    #expect(spread || inside, "\(chosen.stderr)")
    // With intra-op threads, auto batching stays off: operators split their work by the run's size.
    #expect(!inside || chosen.stderr.contains(" batch_rows=off(intra_threads) "), "\(chosen.stderr)")
    // The same layout, chosen by hand, frames as they come.
    let plain = try run(
      ["-j", inside ? "1" : "2", "--intra-threads", inside ? "2" : "1", "--batch-rows", "off", Self.model],
      input: input)
    #expect(chosen.stdout == plain.stdout)
    let clash = try run(["--workers", "auto", "--intra-threads", "2", Self.model])
    #expect(clash.status == 64)
    #expect(clash.stderr.hasPrefix("onnxpipe: --workers auto chooses the intra-op threads too"))
  }

  /// A bad frame after merged good ones: the same output and message as without merging.
  @Test(arguments: ["auto", "off", "8"])
  func aBadFrameAmongMergedOnesFailsAfterTheFramesBeforeIt(setting: String) throws {
    var input = rf32Frames([1, 1, 2, 1, 1])
    input += frame([UInt8](repeating: 0, count: 100))  // not a whole 128-byte row
    input += rf32Frames([1, 1])
    let result = try run(["--batch-rows", setting, Self.model], input: input)
    #expect(result.status == 65)
    #expect(splitFrames(result.stdout)?.count == 5)
    let offset = rf32Frames([1, 1, 2, 1, 1]).count
    #expect(
      result.stderr
        == "onnxpipe: frame 6 (byte \(offset)): payload of 100 bytes is not a whole number of 128-byte rows (X 128)\n"
    )
  }

  /// A frame over --max-frame-bytes after merged ones: refused as without merging, after them.
  @Test func anOversizedFrameAmongMergedOnesIsRefusedAfterThem() throws {
    let input = rf32Frames([1, 1, 20, 1])
    let merged = try run(["--max-frame-bytes", "1000", "--batch-rows", "8", Self.model], input: input)
    let plain = try run(["--max-frame-bytes", "1000", "--batch-rows", "off", Self.model], input: input)
    #expect(merged.status == 65)
    #expect(merged.stderr == plain.stderr)
    #expect(merged.stderr.hasPrefix("onnxpipe: frame 3 (byte "), "\(merged.stderr)")
    #expect(merged.stdout == plain.stdout)
    #expect(splitFrames(merged.stdout)?.count == 2)
  }

  /// `inspect --calibrate` measures every size and tells batch-invariant models from the others.
  @Test func inspectCalibrateReportsTheCurveAndWhetherOutputsDependOnTheBatch() throws {
    for (model, invariant) in [("rf32", true), ("logreg", false)] {
      let result = try run(["inspect", "--calibrate", "--json", fixture("models/\(model).onnx")])
      #expect(result.status == 0, "\(result.stderr)")
      let json = try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any]
      let calibration = json?["calibration"] as? [String: Any]
      let points = calibration?["points"] as? [[String: Any]] ?? []
      #expect(points.compactMap { $0["rows"] as? Int } == [1, 8, 64, 512, 4096])
      #expect(points.allSatisfy { ($0["rows_per_s"] as? Int ?? 0) > 0 })
      #expect([1, 8, 64, 512, 4096].contains(calibration?["best_rows"] as? Int ?? 0))
      #expect(calibration?["batch_invariant"] as? Bool == invariant, "\(model)")
    }
  }

  /// A large frame read slice by slice and cut short: named as without slicing, after the frames before it.
  @Test func aHugeFrameCutShortIsNamedLikeAnyTruncatedFrame() throws {
    let whole = rf32Frames([3, 20_000])
    let input = Array(whole[..<(whole.count - 1000)])
    let sliced = try run(["--batch-rows", "64", Self.model], input: input)
    let plain = try run(["--batch-rows", "off", Self.model], input: input)
    #expect(sliced.status == 65)
    #expect(sliced.stderr == plain.stderr)
    #expect(sliced.stderr.hasPrefix("onnxpipe: frame 2 (byte "), "\(sliced.stderr)")
    #expect(sliced.stdout == plain.stdout)
    #expect(splitFrames(sliced.stdout)?.count == 1)
  }
}

/// Deadline tests: `make test` runs them alone, not beside the parallel suites.
@Suite struct LiveFrameTests {
  /// A slow producer with merging on: each frame is answered within --max-delay, not held for company.
  @Test func mergedFramesAreAnsweredWithinMaxDelay() throws {
    let live = try LiveProcess([
      "-j", "2", "--batch-rows", "4096", "--max-delay", "5", fixture("models/rf32.onnx"),
    ])
    let oneRow = rf32Frames([1])
    // One output frame for one rf32 row: 4 + 8 (label) + 8 (two probabilities) bytes.
    let answer = 20
    var received = 0
    for index in 0..<8 {
      live.send(oneRow)
      var descriptor = pollfd(
        fd: live.stdout.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
      // Generous next to --max-delay 5: it only has to be answered before the next frame is sent.
      #expect(poll(&descriptor, 1, 2000) == 1, "frame \(index + 1) was not answered")
      received += live.receive(atLeast: answer).count
      #expect(received == (index + 1) * answer)
      usleep(50_000)
    }
    try live.stdin.fileHandleForWriting.close()
    let end = live.finish()
    #expect(end.status == 0)
    #expect(end.rest.isEmpty)
  }
}
