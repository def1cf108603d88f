import Foundation

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

/// The binary under test: $ONNXPIPE_BIN, or the debug build.
let binaryPath =
  ProcessInfo.processInfo.environment["ONNXPIPE_BIN"]
  ?? repositoryRoot.appendingPathComponent(".build/debug/onnxpipe").path

func fixture(_ relative: String) -> String {
  repositoryRoot.appendingPathComponent("Tests/Fixtures/" + relative).path
}

func readFixture(_ relative: String) throws -> [UInt8] {
  Array(try Data(contentsOf: URL(fileURLWithPath: fixture(relative))))
}

/// What a run of the binary produced.
struct RunResult {
  var status: Int32
  var stdout: [UInt8]
  var stderr: String
  /// True when the process was killed by a signal (status is then the signal number).
  var signaled: Bool
}

/// Runs onnxpipe with `arguments`, feeding `input` on stdin, and waits for it.
func run(_ arguments: [String], input: [UInt8] = []) throws -> RunResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: binaryPath)
  process.arguments = arguments
  let stdin = Pipe()
  let stdout = Pipe()
  let stderr = Pipe()
  process.standardInput = stdin
  process.standardOutput = stdout
  process.standardError = stderr
  try process.run()
  let outBox = DataBox()
  let errBox = DataBox()
  let group = DispatchGroup()
  for (pipe, box) in [(stdout, outBox), (stderr, errBox)] {
    group.enter()
    DispatchQueue.global().async {
      box.data = pipe.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
  }
  let writer = stdin.fileHandleForWriting
  DispatchQueue.global().async {
    // The process may exit before reading everything (an error): ignore EPIPE here.
    signal(SIGPIPE, SIG_IGN)
    input.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let count = write(writer.fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
        if count <= 0 { break }
        offset += count
      }
    }
    try? writer.close()
  }
  process.waitUntilExit()
  group.wait()
  return RunResult(
    status: process.terminationStatus, stdout: Array(outBox.data),
    stderr: String(decoding: errBox.data, as: UTF8.self),
    signaled: process.terminationReason == .uncaughtSignal)
}

final class DataBox: @unchecked Sendable {
  // @unchecked Sendable: written by one reader thread, read after group.wait().
  var data = Data()
}

/// Splits a raw frame stream into payloads.
func splitFrames(_ bytes: [UInt8]) -> [[UInt8]]? {
  var frames: [[UInt8]] = []
  var index = 0
  while index < bytes.count {
    guard index + 4 <= bytes.count else { return nil }
    let length =
      Int(bytes[index]) | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2]) << 16 | Int(bytes[index + 3])
      << 24
    guard index + 4 + length <= bytes.count else { return nil }
    frames.append(Array(bytes[index + 4..<index + 4 + length]))
    index += 4 + length
  }
  return frames
}

func frame(_ payload: [UInt8]) -> [UInt8] {
  let count = UInt32(payload.count)
  return [UInt8(count & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 24)]
    + payload
}

func floatBytes(_ values: [Float]) -> [UInt8] {
  values.withUnsafeBytes { Array($0) }
}

/// Runs the shell `command` under script(1), which gives it a pseudo-terminal; returns its exit
/// status and what the terminal showed.
func runUnderATerminal(_ command: String) throws -> (status: Int32, transcript: [UInt8]) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
  process.arguments = ["-qec", command, "/dev/null"]
  let output = Pipe()
  process.standardOutput = output
  process.standardInput = FileHandle.nullDevice
  try process.run()
  let transcript = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, Array(transcript))
}

/// The 12-hex-digit identity `--model-field` writes: the start of the file's SHA-256, as
/// `sha256sum` gives it.
func identity(_ path: String) throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
  process.arguments = [path]
  let out = Pipe()
  process.standardOutput = out
  try process.run()
  process.waitUntilExit()
  return String(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(12))
}
