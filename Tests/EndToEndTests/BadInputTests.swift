import Foundation
import Testing

/// Four frames of the logistic regression (4 floats a row): 1, 2, 0 and 3 rows.
let logregFrames: [[UInt8]] = [1, 2, 0, 3].map { rows in
  frame(floatBytes((0..<(rows * 4)).map { Float($0) / 10 }))
}

@Suite struct BadInputTests {
  let model = fixture("models/logreg.onnx")

  /// The output of the first `count` frames alone, from a clean run.
  func cleanOutput(frames count: Int) throws -> [UInt8] {
    let result = try run([model], input: Array(logregFrames.prefix(count).joined()))
    #expect(result.status == 0)
    return result.stdout
  }

  @Test func truncatedPayloadWritesEveryCompleteFrameThenFails() throws {
    let input = Array(logregFrames.prefix(3).joined()) + Array(logregFrames[3].prefix(20))
    let result = try run([model], input: input)
    #expect(result.status == 65)
    #expect(result.stdout == (try cleanOutput(frames: 3)))
    #expect(
      result.stderr
        == "onnxpipe: frame 4 (byte 60): truncated: stream ended at byte 80, 32 of its 48 payload bytes missing\n"
    )
  }

  @Test func truncatedLengthPrefix() throws {
    let input = Array(logregFrames.prefix(2).joined()) + [7, 0]
    let result = try run([model], input: input)
    #expect(result.status == 65)
    #expect(result.stdout == (try cleanOutput(frames: 2)))
    #expect(
      result.stderr
        == "onnxpipe: frame 3 (byte 56): truncated: stream ended at byte 58 inside the 4-byte length\n")
  }

  @Test func oversizedFrameIsRefusedBeforeAllocating() throws {
    let input = logregFrames[0] + [0xFF, 0xFF, 0xFF, 0x7F]
    let result = try run(["--max-frame-bytes", "1M", model], input: input)
    #expect(result.status == 65)
    #expect(result.stdout == (try cleanOutput(frames: 1)))
    #expect(
      result.stderr == "onnxpipe: frame 2 (byte 20): length 2147483647 exceeds --max-frame-bytes 1048576\n")
  }

  @Test func payloadThatIsNotWholeRowsNamesFrameLengthAndRowSize() throws {
    let input = logregFrames[0] + frame([UInt8](repeating: 0, count: 18)) + logregFrames[1]
    let result = try run([model], input: input)
    #expect(result.status == 65)
    #expect(result.stdout == (try cleanOutput(frames: 1)))
    #expect(
      result.stderr
        == "onnxpipe: frame 2 (byte 20): payload of 18 bytes is not a whole number of 16-byte rows (X 16)\n")
  }

  @Test func runFailureNamesTheFrameAndKeepsEarlierOutput() throws {
    // reshape.onnx runs only when 4*N is divisible by 3.
    let rows = [3, 6, 2, 3]
    let input = rows.flatMap { frame(floatBytes([Float](repeating: 1, count: $0 * 4))) }
    let result = try run(["-j", "4", fixture("models/reshape.onnx")], input: input)
    #expect(result.status == 65)
    #expect(try #require(splitFrames(result.stdout)).count == 2)
    #expect(result.stderr.hasPrefix("onnxpipe: frame 3 (byte 152): model run failed: "))
    #expect(result.stderr.split(separator: "\n").count == 1)
  }

  @Test func onnxRuntimeSchemaNoiseNeverReachesStderr() throws {
    // Debian's libonnxruntime prints ~570 "Schema error: ..." lines on the first
    // session of every process; a fresh process shows whether we filter them.
    let result = try run(["inspect", fixture("models/rf32.onnx")])
    #expect(result.status == 0)
    #expect(result.stderr == "")
  }

  @Test func emptyInputIsEmptyOutput() throws {
    let result = try run([model], input: [])
    #expect(result.status == 0)
    #expect(result.stdout.isEmpty)
    #expect(result.stderr == "")
  }

  @Test func zeroLengthFrameGivesAZeroRowFrame() throws {
    let result = try run([model], input: frame([]))
    #expect(result.status == 0)
    #expect(result.stdout == [0, 0, 0, 0])
  }
}

@Suite struct ModelAndUsageErrorTests {
  @Test func missingModel() throws {
    let result = try run(["/nonexistent/model.onnx"])
    #expect(result.status == 66)
    #expect(
      result.stderr == "onnxpipe: cannot open model '/nonexistent/model.onnx': No such file or directory\n")
  }

  @Test func modelIsADirectory() throws {
    let result = try run([fixture("models")])
    #expect(result.status == 66)
    #expect(result.stderr == "onnxpipe: cannot open model '\(fixture("models"))': not a regular file\n")
  }

  @Test func truncatedModelIsAModelError() throws {
    let path = NSTemporaryDirectory() + "onnxpipe-truncated-\(getpid()).onnx"
    let bytes = try readFixture("models/rf32.onnx")
    try Data(bytes.prefix(1000)).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let result = try run([path])
    #expect(result.status == 78)
    #expect(result.stderr.hasPrefix("onnxpipe: cannot load model '\(path)': "))
    #expect(result.stderr.split(separator: "\n").count == 1)
  }

  @Test(arguments: [
    (
      ["--workers", "0", "m.onnx"], "onnxpipe: --workers: expected a whole number from 1 to 1048576, got '0'"
    ),
    (["--bogus", "m.onnx"], "onnxpipe: unknown option '--bogus'"),
    ([] as [String], "onnxpipe: no MODEL given"),
    (
      ["a.onnx", "b.onnx"],
      "onnxpipe: input file 'b.onnx' looks like a model: give one MODEL, then the files to score"
    ),
    (
      ["--format", "xml", "m.onnx"],
      "onnxpipe: --format: unknown format 'xml' (known: raw, arrow, ndjson, csv, lines)"
    ),
    (
      ["--in", "ndjson", "--out", "raw", "--keep", "m.onnx"],
      "onnxpipe: --keep with --out raw: raw frames carry only the model's outputs; use --out ndjson"
    ),
    (
      ["--in", "csv", "--out", "raw", "--on-error", "null", "m.onnx"],
      "onnxpipe: --on-error null with --out raw: raw frames have no nulls; use --on-error skip or fail"
    ),
    (
      ["--keep", "m.onnx"],
      "onnxpipe: --keep applies to text formats and Arrow (--in ndjson, csv, lines or arrow)"
    ),
    (
      ["--in", "ndjson", "--on-error", "ignore", "m.onnx"],
      "onnxpipe: --on-error: expected fail, skip or null, got 'ignore'"
    ),
    (["--dim", "batch", "m.onnx"], "onnxpipe: --dim: expected NAME=SIZE with SIZE >= 1, got 'batch'"),
    (
      ["--in", "arrow", "--batch-size", "10", "m.onnx"],
      "onnxpipe: --batch-size applies to text formats (--in ndjson, csv or lines)"
    ),
  ])
  func usageErrorsExit64WithAHint(arguments: [String], message: String) throws {
    let result = try run(arguments)
    #expect(result.status == 64)
    #expect(result.stderr == message + "\nSee 'onnxpipe --help'.\n")
    #expect(result.stdout.isEmpty)
  }

  @Test func unknownOutputNameIsAUsageError() throws {
    let result = try run(["--outputs", "nope", fixture("models/logreg.onnx")])
    #expect(result.status == 64)
    #expect(
      result.stderr.hasPrefix(
        "onnxpipe: --outputs: the model has no output 'nope' (it has: label, probabilities)"))
  }

  @Test func helpGoesToStdoutAndExitsZero() throws {
    let result = try run(["--help"])
    #expect(result.status == 0)
    #expect(String(decoding: result.stdout, as: UTF8.self).hasPrefix("onnxpipe: score record batches"))
    #expect(result.stderr == "")
  }
}
