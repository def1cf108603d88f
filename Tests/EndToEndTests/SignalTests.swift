import Foundation
import Testing

/// A run of the binary with stdin and stdout given by the test, signalled while it blocks.
struct SignalledRun {
  var status: Int32
  var signaled: Bool
  /// Seconds from the signal to the process's exit.
  var secondsToExit: Double
  var stderr: String
}

/// Starts onnxpipe with `stdin` and `stdout` (a `FileHandle` or a `Pipe`),
/// sends `signal` after `delay` seconds and waits up to `limit` seconds for
/// it to exit (then kills it: a test that needs SIGKILL has failed).
func signalDuring(
  _ arguments: [String], stdin: Any, stdout: Any = FileHandle.nullDevice, signal: Int32,
  after delay: Double = 0.4, limit: Double = 10
) throws -> SignalledRun {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: binaryPath)
  process.arguments = arguments
  process.standardInput = stdin
  process.standardOutput = stdout
  let stderr = Pipe()
  process.standardError = stderr
  try process.run()
  Thread.sleep(forTimeInterval: delay)
  #expect(process.isRunning, "onnxpipe ended before the signal: \(arguments)")
  kill(process.processIdentifier, signal)
  let sent = Date()
  while process.isRunning && Date().timeIntervalSince(sent) < limit { Thread.sleep(forTimeInterval: 0.02) }
  let seconds = Date().timeIntervalSince(sent)
  if process.isRunning { kill(process.processIdentifier, SIGKILL) }
  process.waitUntilExit()
  return SignalledRun(
    status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
    secondsToExit: seconds,
    stderr: String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
}

/// SIGINT and SIGTERM end the process promptly whatever it is blocked on.
@Suite struct SignalTests {
  let model = fixture("models/logreg.onnx")

  /// A pipe whose writer stays open and sends nothing: a FIFO whose producer is idle.
  func idleInput() -> Pipe { Pipe() }

  @Test func aSignalEndsTheRunWhileItWaitsForTheCSVHeader() throws {
    let input = idleInput()
    let result = try signalDuring(["--in", "csv", model], stdin: input, signal: SIGTERM)
    #expect(!result.signaled && result.status == 143, "\(result)")
    #expect(result.secondsToExit < 2, "\(result)")
    #expect(result.stderr.isEmpty)
    try input.fileHandleForWriting.close()
  }

  @Test func aSignalEndsTheRunWhileItWaitsForTheArrowSchema() throws {
    let input = idleInput()
    let result = try signalDuring(["--in", "arrow", model], stdin: input, signal: SIGINT)
    #expect(!result.signaled && result.status == 130, "\(result)")
    #expect(result.secondsToExit < 2, "\(result)")
    try input.fileHandleForWriting.close()
  }

  /// Skipping an endless record reads for ever without holding it: a signal still ends it.
  @Test func aSignalEndsTheRunInsideAnEndlessSkippedRecord() throws {
    let zero = try #require(FileHandle(forReadingAtPath: "/dev/zero"))
    let result = try signalDuring(
      ["--in", "ndjson", "--on-error", "skip", model], stdin: zero, signal: SIGTERM, after: 0.8)
    #expect(!result.signaled && result.status == 143, "\(result)")
    #expect(result.secondsToExit < 2, "\(result)")
  }

  /// Output nobody reads: the records read cannot be flushed, so the run gives up
  /// after the stall limit (2 s without output progress) instead of hanging.
  @Test func aSignalEndsTheRunWhenItsOutputIsBlocked() throws {
    let path = NSTemporaryDirectory() + "onnxpipe-blocked-\(getpid()).bin"
    defer { unlink(path) }
    var frames: [UInt8] = []
    for _ in 0..<200 { frames += frame(floatBytes([Float](repeating: 0.5, count: 4 * 1000))) }
    try Data(frames).write(to: URL(fileURLWithPath: path))
    let input = try #require(FileHandle(forReadingAtPath: path))
    let output = Pipe()  // never read: the first 64 KiB fill it
    let result = try signalDuring([model], stdin: input, stdout: output, signal: SIGTERM, after: 0.8)
    #expect(!result.signaled && result.status == 143, "\(result)")
    #expect(result.secondsToExit > 1.5 && result.secondsToExit < 5, "\(result)")
  }

  /// Without a signal, an endless record fails at the limit (it used to read for ever).
  @Test func anEndlessRecordFailsAtMaxRecordBytes() throws {
    for format in ["ndjson", "lines", "csv"] {
      let zero = try #require(FileHandle(forReadingAtPath: "/dev/zero"))
      let process = Process()
      process.executableURL = URL(fileURLWithPath: binaryPath)
      let textModel = fixture("models/text_clf.onnx")
      process.arguments = [
        "--in", format, "--max-record-bytes", "64K", format == "lines" ? textModel : model,
      ]
      process.standardInput = zero
      process.standardOutput = FileHandle.nullDevice
      let stderr = Pipe()
      process.standardError = stderr
      let started = Date()
      try process.run()
      while process.isRunning && Date().timeIntervalSince(started) < 10 {
        Thread.sleep(forTimeInterval: 0.02)
      }
      let hung = process.isRunning
      if hung { kill(process.processIdentifier, SIGKILL) }
      process.waitUntilExit()
      let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      #expect(!hung, "--in \(format) < /dev/zero still running after 10 s")
      #expect(process.terminationStatus == 65, "--in \(format): \(message)")
      let expected =
        format == "csv"
        ? "onnxpipe: line 1: CSV header longer than --max-record-bytes\n"
        : "onnxpipe: line 1: record longer than --max-record-bytes 65536\n"
      #expect(message == expected)
    }
  }
}
