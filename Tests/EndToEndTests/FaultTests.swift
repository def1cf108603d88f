import Foundation
import Testing

@Suite struct FaultTests {
  /// Scoring, and the help text: output that cannot be written is exit 74 with the reason.
  @Test(arguments: [[fixture("models/logreg.onnx")], ["--help"], ["inspect", "--help"]])
  func aFullDiskIsAClearIOError(arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binaryPath)
    process.arguments = arguments
    process.standardInput = FileHandle(forReadingAtPath: fixture("streams/logreg.in"))
    process.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 74)
    #expect(message == "onnxpipe: cannot write output: No space left on device\n")
  }

  @Test(arguments: ["raw", "ndjson", "csv", "lines"])
  func randomBytesGiveOneLineAndADataErrorInEveryFormat(format: String) throws {
    var generator = SystemRandomNumberGenerator()
    let garbage = (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let model = fixture(format == "lines" ? "models/text_clf.onnx" : "models/logreg.onnx")
    let result = try run(["--in", format, model], input: garbage)
    #expect(result.status == 65, "\(format): \(result.stderr)")
    #expect(result.stderr.hasPrefix("onnxpipe: "))
    #expect(result.stderr.filter { $0 == "\n" }.count == 1)
  }

  @Test func inputCutAtEveryByteKeepsEveryCompleteFrame() throws {
    let stream = Array(logregFrames.joined())
    let full = try run([fixture("models/logreg.onnx")], input: stream)
    let outputFrames = try #require(splitFrames(full.stdout))
    var boundaries: [Int] = [0]
    for frame in logregFrames { boundaries.append(boundaries.last! + frame.count) }
    for cut in 0...stream.count {
      let result = try run([fixture("models/logreg.onnx")], input: Array(stream.prefix(cut)))
      let complete = boundaries.lastIndex { $0 <= cut }!
      let expected = Array(outputFrames.prefix(complete).map { frame($0) }.joined())
      #expect(result.stdout == expected, "cut at \(cut)")
      if boundaries.contains(cut) {
        #expect(result.status == 0 && result.stderr.isEmpty, "cut at \(cut): \(result.stderr)")
      } else {
        #expect(result.status == 65, "cut at \(cut)")
        #expect(
          result.stderr.hasPrefix("onnxpipe: frame \(complete + 1) (byte \(boundaries[complete])): truncated")
        )
      }
    }
  }

  @Test func ndjsonCutAtEveryByteScoresEveryCompleteRecord() throws {
    let records = [#"{"X":[1,2,3,4]}"#, #"{"X":[0.5,-1,2,0]}"#, #"{"X":[9,8,7,6]}"#]
    let stream = Array(records.joined(separator: "\n").utf8) + [0x0A]
    let model = fixture("models/logreg.onnx")
    for cut in 0...stream.count {
      let prefix = Array(stream.prefix(cut))
      let result = try run(["--in", "ndjson", model], input: prefix)
      let complete = prefix.filter { $0 == 0x0A }.count
      let tail = String(
        decoding: prefix.split(separator: 0x0A, omittingEmptySubsequences: false).last ?? [], as: UTF8.self)
      let tailIsRecord = records.contains(tail)
      let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
      #expect(lines.count == complete + (tailIsRecord ? 1 : 0), "cut at \(cut)")
      if tail.isEmpty || tailIsRecord {
        #expect(result.status == 0, "cut at \(cut): \(result.stderr)")
      } else {
        #expect(result.status == 65, "cut at \(cut)")
        #expect(
          result.stderr.hasPrefix("onnxpipe: line \(complete + 1): "), "cut at \(cut): \(result.stderr)")
      }
    }
  }

  @Test func aModelWithAnUnknownOperatorIsAModelError() throws {
    let result = try run(["inspect", fixture("models/unknown_op.onnx")])
    #expect(result.status == 78)
    #expect(result.stderr.hasPrefix("onnxpipe: cannot load model '\(fixture("models/unknown_op.onnx"))': "))
    #expect(result.stderr.filter { $0 == "\n" }.count == 1)
  }

  @Test(arguments: ["fail", "skip", "null"])
  func aRunFailureRejectsTheWholeBatch(policy: String) throws {
    // batch3.onnx runs only on a multiple of 3 rows: the first batch (3 records) passes,
    // the second (2 records) fails in ONNX Runtime.
    let row = #"{"x":[1,2,3,4]}"#
    let input = Array((Array(repeating: row, count: 5).joined(separator: "\n") + "\n").utf8)
    let result = try run(
      [
        "--in", "ndjson", "--batch-size", "3", "--on-error", policy, "--stats", fixture("models/batch3.onnx"),
      ],
      input: input)
    let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
    #expect(lines.prefix(3).allSatisfy { $0 == #"{"y":[1.0,2.0,3.0,4.0]}"# })
    switch policy {
    case "fail":
      #expect(result.status == 65)
      #expect(lines.count == 3)
      // --stats prints its summary first; the error is the last line.
      let last = result.stderr.split(separator: "\n").last ?? ""
      #expect(last.hasPrefix("onnxpipe: lines 4-5: model run failed: "))
    case "skip":
      #expect(result.status == 0, "\(result.stderr)")
      #expect(lines.count == 3)
      #expect(result.stderr.contains(" rejected=2 "))
    default:
      #expect(result.status == 0, "\(result.stderr)")
      #expect(lines.count == 5)
      #expect(lines.suffix(2).allSatisfy { $0 == #"{"y":null}"# })
    }
  }
}

/// Counts bytes a feeder thread managed to push into a pipe.
final class FeedCounter: @unchecked Sendable {
  // @unchecked Sendable: `bytes` is written by the feeder thread and read after it is known to block.
  private let lock = NSLock()
  private var total = 0
  var bytes: Int { lock.withLock { total } }
  func add(_ count: Int) { lock.withLock { total += count } }
}

@Suite struct SlowConsumerTests {
  @Test func aStalledConsumerStopsTheReaderAndMemoryStaysFlat() throws {
    let live = try LiveProcess(["-j", "2", "--stats", fixture("models/logreg.onnx")])
    let payload = floatBytes((0..<(4096 * 4)).map { Float($0 % 89) / 89 })
    let chunk = Data(frame(payload))  // 64 KiB of input, 80 KiB of output
    let counter = FeedCounter()
    let writer = live.stdin.fileHandleForWriting
    let feeding = Thread {
      for _ in 0..<2000 {  // 128 MiB if nothing stopped it
        writer.write(chunk)
        counter.add(chunk.count)
      }
      try? writer.close()
    }
    feeding.start()
    sleep(2)
    let stalled = counter.bytes
    sleep(1)
    // Nobody reads stdout: onnxpipe's output pipe is full, its window fills, it stops reading.
    #expect(counter.bytes == stalled, "input kept flowing while the consumer was stalled")
    #expect(stalled < 16 << 20, "\(stalled) bytes went in before the reader stopped")
    let end = live.finish()  // now drain everything
    #expect(end.status == 0)
    #expect(end.rest.count == 2000 * (4 + 4096 * 20))
    let field = end.stderr.split(separator: " ").first { $0.hasPrefix("peak_rss_kb=") }
    let peak = Int(field?.dropFirst("peak_rss_kb=".count).filter(\.isNumber) ?? "") ?? .max
    #expect(peak < 100 * 1024, "peak RSS \(peak) KiB")
  }
}
