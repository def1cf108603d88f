import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Starts onnxpipe with pipes we drive by hand.
final class LiveProcess: @unchecked Sendable {
  // @unchecked Sendable: each pipe end is used by one thread at a time in these tests.
  let process = Process()
  let stdin = Pipe()
  let stdout = Pipe()
  let stderr = Pipe()

  init(_ arguments: [String]) throws {
    process.executableURL = URL(fileURLWithPath: binaryPath)
    process.arguments = arguments
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
  }

  func send(_ bytes: [UInt8]) {
    stdin.fileHandleForWriting.write(Data(bytes))
  }

  /// Reads stdout until at least `count` bytes have arrived (or EOF).
  func receive(atLeast count: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    while bytes.count < count {
      let chunk = stdout.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      bytes += chunk
    }
    return bytes
  }

  /// Waits for exit; returns the status, the rest of stdout, and stderr.
  func finish() -> (status: Int32, rest: [UInt8], stderr: String) {
    let rest = Array(stdout.fileHandleForReading.readDataToEndOfFile())
    let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, rest, errors)
  }
}

@Suite struct StreamingTests {
  /// One frame of 2 logistic-regression rows; its output frame is 4 + 2*8 + 2*12 = 44 bytes.
  static let twoRows = frame(floatBytes([0.1, 0.2, 0.3, 0.4, -1, -2, -3, -4]))

  @Test func eachFrameIsAnsweredBeforeTheNextArrives() throws {
    let live = try LiveProcess(["-j", "2", fixture("models/logreg.onnx")])
    var received: [UInt8] = []
    for _ in 0..<5 {
      live.send(Self.twoRows)
      received += live.receive(atLeast: 44)
      #expect(received.count % 44 == 0)
    }
    try live.stdin.fileHandleForWriting.close()
    let end = live.finish()
    #expect(end.status == 0)
    #expect(received.count + end.rest.count == 5 * 44)
  }

  @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
  func aSignalFlushesWhatWasReadAndExits(signal: Int32, status: Int32) throws {
    let live = try LiveProcess([fixture("models/logreg.onnx")])
    for _ in 0..<3 { live.send(Self.twoRows) }
    let seen = live.receive(atLeast: 3 * 44)
    // A partial frame: read, but not a whole frame, so it must not be scored.
    live.send(Array(Self.twoRows.prefix(10)))
    usleep(100_000)
    kill(live.process.processIdentifier, signal)
    let end = live.finish()
    #expect(end.status == status)
    #expect(seen.count + end.rest.count == 3 * 44)
    #expect(end.stderr == "")
  }

  @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
  func aSignalScoresTheTextRecordsHeldInAPartialBatch(signal: Int32, status: Int32) throws {
    // A long --max-delay keeps the three lines in the reader's unfinished batch when the signal comes.
    let live = try LiveProcess(
      ["--in", "lines", "--keep", "--max-delay", "60000", fixture("models/text_clf.onnx")])
    live.send(Array("ERROR timeout\nGET 200 OK\nlast line, no newline yet".utf8))
    usleep(400_000)
    kill(live.process.processIdentifier, signal)
    let end = live.finish()
    #expect(end.status == status)
    let lines = String(decoding: end.rest, as: UTF8.self).split(separator: "\n")
    #expect(lines.count == 2, "\(lines)")
    #expect(lines.first?.hasPrefix(#"{"line":"ERROR timeout","label":"#) == true)
    #expect(end.stderr == "")
  }

  @Test func brokenPipeDownstreamEndsQuietlyBySIGPIPE() throws {
    let input = NSTemporaryDirectory() + "onnxpipe-epipe-\(getpid()).in"
    let errors = NSTemporaryDirectory() + "onnxpipe-epipe-\(getpid()).err"
    let one = try readFixture("streams/rf32.in")
    try Data((0..<20).flatMap { _ in one }).write(to: URL(fileURLWithPath: input))
    defer {
      try? FileManager.default.removeItem(atPath: input)
      try? FileManager.default.removeItem(atPath: errors)
    }
    let shell = Process()
    shell.executableURL = URL(fileURLWithPath: "/bin/bash")
    shell.arguments = [
      "-c",
      "'\(binaryPath)' '\(fixture("models/rf32.onnx"))' < '\(input)' 2> '\(errors)' | head -c 100 > /dev/null; "
        + "exit ${PIPESTATUS[0]}",
    ]
    try shell.run()
    shell.waitUntilExit()
    #expect(shell.terminationStatus == 141)
    #expect(try String(contentsOfFile: errors, encoding: .utf8) == "")
  }

  @Test func pipesOnStdinAndStdoutAreGrownTo256KiB() throws {
    let getPipeSize: Int32 = 1032  // F_GETPIPE_SZ
    #expect(fcntl(Pipe().fileHandleForReading.fileDescriptor, getPipeSize) < 256 << 10)
    let live = try LiveProcess([fixture("models/logreg.onnx")])
    live.send(frame(floatBytes([1, 2, 3, 4])))
    // A frame's output (label int64, three float32 probabilities) shows the run has started.
    #expect(live.receive(atLeast: 4 + 20).count == 24)
    #expect(fcntl(live.stdin.fileHandleForWriting.fileDescriptor, getPipeSize) == 256 << 10)
    #expect(fcntl(live.stdout.fileHandleForReading.fileDescriptor, getPipeSize) == 256 << 10)
    try live.stdin.fileHandleForWriting.close()
    live.process.waitUntilExit()
    #expect(live.process.terminationStatus == 0)
  }

  @Test func peakMemoryDoesNotGrowWithTheStream() throws {
    // 64 KiB frames of the logistic regression: 16 MiB against 256 MiB of input.
    let payload = floatBytes((0..<(4096 * 4)).map { Float($0 % 97) / 97 })
    let oneFrame = frame(payload)
    func peak(frames: Int) throws -> Int {
      let live = try LiveProcess(["--stats", fixture("models/logreg.onnx")])
      let drain = DispatchQueue(label: "drain")
      drain.async { _ = live.stdout.fileHandleForReading.readDataToEndOfFile() }
      let chunk = Data((0..<16).flatMap { _ in oneFrame })
      for _ in 0..<(frames / 16) { live.stdin.fileHandleForWriting.write(chunk) }
      try live.stdin.fileHandleForWriting.close()
      let errors = String(decoding: live.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      live.process.waitUntilExit()
      #expect(live.process.terminationStatus == 0)
      #expect(errors.contains(" batches=\(frames) "))
      let field = errors.split(separator: " ").first { $0.hasPrefix("peak_rss_kb=") }
      return Int(field?.dropFirst("peak_rss_kb=".count).trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
        ?? -1
    }
    let small = try peak(frames: 256)
    let large = try peak(frames: 4096)
    #expect(small > 0)
    #expect(large < 100 * 1024, "peak RSS \(large) KiB on a 256 MiB stream")
    #expect(Double(large) <= Double(small) * 1.2, "peak RSS grew from \(small) to \(large) KiB")
  }
}

@Suite struct ProgressTests {
  @Test func progressIsSilentWhenStderrIsNotATerminal() throws {
    let result = try run(
      ["--progress", fixture("models/logreg.onnx")], input: Array(logregFrames.joined()))
    #expect(result.status == 0)
    #expect(result.stderr == "")
  }

  @Test func progressDrawsAStatusLineOnATerminal() throws {
    // script(1) gives onnxpipe a pseudo-terminal; the input stays open for 0.8 s so
    // the 250 ms status line is drawn at least twice before the end.
    let frames = fixture("../../examples/iris/rows.bin")
    let command =
      "(cat '\(frames)'; sleep 0.8) | '\(binaryPath)' --progress '\(fixture("models/logreg.onnx"))' > /dev/null"
    let (status, transcript) = try runUnderATerminal(command)
    let text = String(decoding: transcript, as: UTF8.self)
    #expect(status == 0)
    #expect(
      text.contains("\r\u{1B}[K8 rows  2 batches  "), "status line missing from: \(text.debugDescription)")
    #expect(text.hasSuffix("\r\u{1B}[K"), "status line not erased at the end")
  }
}
