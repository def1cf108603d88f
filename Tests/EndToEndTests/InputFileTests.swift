import Foundation
import Testing

/// Input files as operands, like cat: `onnxpipe [OPTIONS] MODEL [FILE...]`,
/// `-` for standard input, read in order as one stream.
@Suite struct InputFileTests {
  static let iris = repositoryRoot.appendingPathComponent("examples/iris").path
  static let model = iris + "/classifier.onnx"
  static let csv = ["--in", "csv", "--columns", "sl,sw,pl,pw"]
  /// The iris rows as an Arrow stream, and the options that score them.
  static let arrowRows = Array(FileManager.default.contents(atPath: iris + "/rows.arrows") ?? Data())
  static let arrow = ["--in", "arrow", "--input", "X=measurements"]

  /// A scratch folder with `files` written into it.
  func folder(_ files: [String: String]) throws -> String {
    let path = NSTemporaryDirectory() + "onnxpipe-files-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    for (name, text) in files {
      try text.write(toFile: path + "/" + name, atomically: false, encoding: .utf8)
    }
    return path
  }

  @Test func twoCSVFilesWithHeadersScoreAsOneStreamWithOneHeader() throws {
    let directory = try folder([
      "a.csv": "id,sl,sw,pl,pw\n1,0.61,0.87,0.67,-0.19\n",
      "b.csv": "\u{FEFF}id,sl,sw,pl,pw\r\n2,-0.43,1.04,-0.35,-1.27\r\n3,-0.48,0.34,-0.52,1.94",
    ])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let files = try run(
      Self.csv + ["--keep", "--out", "csv", Self.model, directory + "/a.csv", directory + "/b.csv"])
    #expect(files.status == 0)
    #expect(files.stderr == "")
    let joined =
      "id,sl,sw,pl,pw\n1,0.61,0.87,0.67,-0.19\n2,-0.43,1.04,-0.35,-1.27\r\n3,-0.48,0.34,-0.52,1.94\n"
    let stdin = try run(
      Self.csv + ["--keep", "--out", "csv", "--batch-size", "1", Self.model], input: Array(joined.utf8))
    let lines = String(decoding: files.stdout, as: UTF8.self).split(separator: "\n")
    #expect(lines.count == 4, "one header, three rows: \(lines)")
    #expect(lines.first == "id,sl,sw,pl,pw,label,probabilities_0,probabilities_1,probabilities_2")
    #expect(lines.map { $0.split(separator: ",")[0] } == ["id", "1", "2", "3"])
    #expect(stdin.status == 0)
    #expect(
      lines.map { $0.split(separator: ",")[5] }
        == String(decoding: stdin.stdout, as: UTF8.self)
        .split(separator: "\n").map { $0.split(separator: ",")[5] })
  }

  @Test func filesAndDashAreReadInOrderAsOneStream() throws {
    let rows = try readFixture("../../examples/iris/rows.bin")
    let first = frame(splitFrames(rows)![0])  // on standard input, between the two files
    let result = try run([Self.model, Self.iris + "/rows.bin", "-", Self.iris + "/rows.bin"], input: first)
    let expected = try run([Self.model], input: rows + first + rows)
    #expect(result.status == 0)
    #expect(result.stderr == "")
    #expect(splitFrames(result.stdout)?.count == 5)
    #expect(result.stdout == expected.stdout)
  }

  @Test func oneFileIsReadLikeStandardInput() throws {
    for (arguments, file) in [
      (["--in", "arrow", "--input", "X=measurements", "--out", "ndjson"], "rows.arrows"),
      (["--in", "ndjson", "--input", "X=measurements"], "rows.ndjson"),
    ] {
      let result = try run(arguments + [Self.model, Self.iris + "/" + file])
      let expected = try run(arguments + [Self.model], input: try readFixture("../../examples/iris/" + file))
      #expect(result.status == 0)
      #expect(!result.stdout.isEmpty)
      #expect(result.stdout == expected.stdout)
    }
  }

  @Test func ndjsonFilesWithoutAFinalNewlineDoNotRunTogether() throws {
    let directory = try folder([
      "a.ndjson": "{\"measurements\":[0.61,0.87,0.67,-0.19]}",
      "b.ndjson": "{\"measurements\":[-0.43,1.04,-0.35,-1.27]}",
    ])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let result = try run([
      "--in", "ndjson", "--input", "X=measurements", Self.model, directory + "/a.ndjson",
      directory + "/b.ndjson",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").count == 2)
  }

  @Test func aMissingFileIsNamedBeforeAnythingIsRead() throws {
    let result = try run([Self.model, Self.iris + "/rows.bin", "/nonexistent/rows.bin"], input: [1, 2, 3])
    #expect(result.status == 66)
    #expect(
      result.stderr == "onnxpipe: cannot open input file '/nonexistent/rows.bin': No such file or directory\n"
    )
    #expect(result.stdout.isEmpty)
  }

  @Test func aDirectoryIsNotAnInputFile() throws {
    let result = try run([Self.model, Self.iris])
    #expect(result.status == 66)
    #expect(result.stderr == "onnxpipe: cannot read input file '\(Self.iris)': it is a directory\n")
  }

  @Test func aLaterCSVFileWithAnotherHeaderIsNamed() throws {
    let directory = try folder([
      "a.csv": "id,sl,sw,pl,pw\n1,1,1,1,1\n", "b.csv": "id,sl,sw,pl,pX\n2,2,2,2,2\n",
    ])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let result = try run(Self.csv + [Self.model, directory + "/a.csv", directory + "/b.csv"])
    #expect(result.status == 65)
    #expect(
      result.stderr
        == "onnxpipe: \(directory)/b.csv: its first line 'id,sl,sw,pl,pX' is not the CSV header of the first"
        + " file ('id,sl,sw,pl,pw'); every file needs the same header (--no-header: none has one)\n")
    #expect(String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").count == 1, "a.csv's row")
  }

  @Test func aBadRecordIsNamedByItsFileAndItsOwnLine() throws {
    let directory = try folder([
      "a.csv": "id,sl,sw,pl,pw\n1,1,1,1,1\n2,2,2,2,2\n", "b.csv": "id,sl,sw,pl,pw\n3,3,3,3,3\n4,x,4,4,4\n",
    ])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let result = try run(Self.csv + [Self.model, directory + "/a.csv", directory + "/b.csv"])
    #expect(result.status == 65)
    #expect(
      result.stderr
        == "onnxpipe: \(directory)/b.csv: line 3: CSV field 2: input 'X': expected a number, got 'x'\n")
  }

  @Test func aCutFrameIsNamedByItsFileAndItsOwnOffset() throws {
    let rows = try readFixture("../../examples/iris/rows.bin")
    let directory = try folder([:])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // A frame whose length says 80 bytes but holds 8: the stream ends inside it.
    try Data(rows + [80, 0, 0, 0] + Array(repeating: 0, count: 8)).write(
      to: URL(fileURLWithPath: directory + "/cut.bin"))
    let result = try run([Self.model, Self.iris + "/rows.bin", directory + "/cut.bin"])
    #expect(result.status == 65)
    let second = rows.count + rows.count  // the cut frame starts after both files' whole frames
    #expect(
      result.stderr.hasPrefix(
        "onnxpipe: \(directory)/cut.bin (byte \(rows.count)): frame 5 (byte \(second)): "),
      "\(result.stderr)")
  }

  @Test func severalArrowStreamsAreRefused() throws {
    let file = Self.iris + "/rows.arrows"
    let result = try run(["--in", "arrow", "--out", "ndjson", Self.model, file, file])
    #expect(result.status == 64)
    #expect(
      result.stderr
        == "onnxpipe: --in arrow reads one stream: give one FILE (or join the streams first, e.g. with pyarrow)\n"
        + "See 'onnxpipe --help'.\n")
  }

  /// `cat a.arrows b.arrows | onnxpipe --in arrow`: the first stream scored and written whole,
  /// then exit 65 naming the byte after its end marker (the second stream was dropped, exit 0).
  @Test func aSecondArrowStreamOnStandardInputIsAnErrorAfterTheFirstIsWritten() throws {
    let stream = Self.arrowRows
    let arguments = Self.arrow + ["--out", "ndjson", Self.model]
    let one = try run(arguments, input: stream)
    #expect(one.status == 0 && one.stderr.isEmpty)
    let two = try run(arguments, input: stream + stream)
    #expect(two.status == 65)
    #expect(two.stdout == one.stdout)
    #expect(
      two.stderr
        == "onnxpipe: arrow stream (byte \(stream.count)): the input goes on after the end-of-stream marker;"
        + " --in arrow reads one stream (join streams first, e.g. with pyarrow)\n")
  }

  /// A producer that reads the whole output, end marker included, before it closes our input gets
  /// it: the check for input after the end marker waits until the output is written.
  @Test func theOutputStreamEndsBeforeTheInputIsClosed() throws {
    let live = try LiveProcess(Self.arrow + ["--out", "arrow", Self.model])
    // Should the end marker never come, close the input after 30 s so the test ends (and fails).
    let closed = ClosedFlag()
    DispatchQueue.global().asyncAfter(deadline: .now() + 30) {
      if closed.set() { try? live.stdin.fileHandleForWriting.close() }
    }
    let output = sendArrowRowsAndReadToTheEndMarker(live)
    #expect(closed.set(), "the output's end marker came only once the input was closed")
    try? live.stdin.fileHandleForWriting.close()
    let end = live.finish()
    #expect(end.status == 0, "\(end.stderr)")
    #expect(output.count > 8)
  }

  /// SIGINT while onnxpipe waits, output written, for the end of an input its producer keeps open
  /// after the end marker: exit 130 at once, not after the 2 s a stalled output is given.
  @Test func aSignalAfterTheEndMarkerEndsTheWaitForTheInputsEnd() throws {
    let live = try LiveProcess(Self.arrow + ["--out", "arrow", Self.model])
    _ = sendArrowRowsAndReadToTheEndMarker(live)
    Thread.sleep(forTimeInterval: 0.1)  // into the read after the marker
    let sent = Date()
    kill(live.process.processIdentifier, SIGINT)
    let end = live.finish()
    #expect(end.status == 130, "\(end.stderr)")
    #expect(Date().timeIntervalSince(sent) < 1.5, "waited for the stalled-output exit")
    #expect(end.rest.isEmpty && end.stderr.isEmpty)
    try? live.stdin.fileHandleForWriting.close()
  }

  /// Sends the iris Arrow rows (input left open) and reads the output up to its end-of-stream
  /// marker, or to the end of output.
  func sendArrowRowsAndReadToTheEndMarker(_ live: LiveProcess) -> [UInt8] {
    live.send(Self.arrowRows)
    var output: [UInt8] = []
    while !output.reversed().starts(with: [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]) {
      let chunk = live.stdout.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      output += chunk
    }
    return output
  }

  @Test func aTerminalOnStandardInputWithNoFileGetsAHint() throws {
    // script(1) gives onnxpipe a pseudo-terminal as standard input (and output).
    let (status, transcript) = try runUnderATerminal("'\(binaryPath)' --in ndjson '\(Self.model)'")
    #expect(status == 64)
    #expect(
      String(decoding: transcript, as: UTF8.self)
        == "onnxpipe: no input: standard input is a terminal. Pipe records in (producer | onnxpipe MODEL),"
        + " name files (onnxpipe MODEL FILE...), or give '-' to type them. See 'onnxpipe --help'.\r\n")
  }
}

/// Set once, by whichever comes first: the test's end or its deadline.
private final class ClosedFlag: @unchecked Sendable {
  // @unchecked Sendable: `value` is only touched under `lock`.
  private let lock = NSLock()
  private var value = false

  /// Sets the flag; true when this call set it.
  func set() -> Bool {
    lock.lock()
    defer { lock.unlock() }
    defer { value = true }
    return !value
  }
}
