import Foundation
import Testing

/// NDJSON for the logistic regression (4 features): two good records around every kind of bad one.
let mixedRecords: [[UInt8]] = [
  Array(#"{"X":[1,2,3,4]}"#.utf8),
  Array(#"{"X":[1,2,3]}"#.utf8),
  Array("not json".utf8),
  Array(#"{"X":[1,"a",3,4]}"#.utf8),
  Array(#"{"Y":[1,2,3,4]}"#.utf8),
  Array(#"{"X":[1,NaN,3,4]}"#.utf8),
  Array(#"{"X":[1,2,3,Infinity]}"#.utf8),
  Array((#"{"X":[1,2,3,4],"pad":""# + String(repeating: "p", count: 200) + #""}"#).utf8),
  Array(#"{"X":[1,2,3,4],"s":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8),
  Array(#"{"X":[4,3,2,1]}"#.utf8),
]

let mixedReasons: [(Int, String)] = [
  (2, "input 'X': expected 4 values, got 3"),
  (3, "invalid JSON at column 1: expected a JSON object, found 'n'"),
  (4, "input 'X': expected a number, got the string \"a\""),
  (5, "the model's input 'X' finds no field (fields that feed no input: 'Y'); map it with --input X=FIELD"),
  (6, "input 'X': NaN where a value is due; add --missing nan if the model treats NaN as missing"),
  (7, "input 'X': expected a number, got 'Infinity'"),
  (8, "record longer than --max-record-bytes 100"),
  (9, "record is not valid UTF-8"),
]

@Suite struct BadRecordTests {
  let model = fixture("models/logreg.onnx")
  let input = Array(mixedRecords.joined(separator: [0x0A])) + [0x0A]

  func deadLetterPath() -> String {
    NSTemporaryDirectory() + "onnxpipe-dead-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).ndjson"
  }

  @Test func failStopsAtTheFirstBadRecordAfterTheGoodOnes() throws {
    let result = try run(["--in", "ndjson", "--max-record-bytes", "100", model], input: input)
    #expect(result.status == 65)
    #expect(result.stderr == "onnxpipe: line 2: input 'X': expected 4 values, got 3\n")
    #expect(try objects(result.stdout).count == 1)
  }

  @Test func skipWritesGoodRecordsAndADeadLetterPerBadOne() throws {
    let path = deadLetterPath()
    defer { unlink(path) }
    let result = try run(
      [
        "--in", "ndjson", "--max-record-bytes", "100", "--on-error", "skip", "--errors", path, "--stats",
        model,
      ],
      input: input)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try objects(result.stdout).count == 2)
    #expect(result.stderr.contains(" rows=2 rejected=8 "))
    let letters = try objects(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    #expect(letters.count == mixedReasons.count)
    for (letter, (line, reason)) in zip(letters, mixedReasons) {
      #expect(letter["line"] as? Int == line)
      #expect(letter["reason"] as? String == reason)
    }
    #expect(letters.first?["record"] as? String == #"{"X":[1,2,3]}"#)
  }

  @Test func nullWritesOneRecordPerInputWithNullOutputs() throws {
    let result = try run(
      ["--in", "ndjson", "--max-record-bytes", "100", "--on-error", "null", model], input: input)
    #expect(result.status == 0, "\(result.stderr)")
    let output = try objects(result.stdout)
    #expect(output.count == mixedRecords.count)
    for (index, object) in output.enumerated() {
      let isNull = object["label"] is NSNull && object["probabilities"] is NSNull
      #expect(isNull == (1...8).contains(index), "record \(index + 1): \(object)")
    }
  }

  @Test(arguments: [OnError.fail, .skip, .null])
  func csvRowWithTheWrongColumnCount(policy: OnError) throws {
    let path = deadLetterPath()
    defer { unlink(path) }
    let csv = "a,b,c,d\n1,2,3,4\n1,2,3\n4,3,2,1\n"
    let result = try run(
      ["--in", "csv", "--out", "csv", "--on-error", policy.rawValue, "--errors", path, model],
      input: Array(csv.utf8))
    let lines = String(decoding: result.stdout, as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false)
    let letters = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    switch policy {
    case .fail:
      #expect(result.status == 65)
      #expect(result.stderr == "onnxpipe: line 3: expected 4 CSV fields, got 3\n")
      #expect(lines.count == 3)  // header, one row, and the final empty split
    case .skip:
      #expect(result.status == 0)
      #expect(lines.count == 4)
      #expect(letters == #"{"line":3,"reason":"expected 4 CSV fields, got 3","record":"1,2,3"}"# + "\n")
    case .null:
      #expect(result.status == 0)
      #expect(lines.count == 5)
      #expect(lines[2] == ",,,")
      #expect(letters.hasPrefix(#"{"line":3,"#))
    }
  }

  @Test func csvStreamEndingInsideAQuotedFieldIsOneBadRecordNamedByItsFirstLine() throws {
    // The quote opened on line 3 never closes: the splitter keeps reading to the end of input
    // (the newline inside counts toward line numbers), and that one record is rejected.
    let csv = "a,b,c,d\n1,2,3,4\n\"5,6\n7,8,9,10\n"
    let result = try run(["--in", "csv", "--out", "csv", model], input: Array(csv.utf8))
    #expect(result.status == 65)
    #expect(result.stderr == "onnxpipe: line 3: CSV field 1: unterminated quoted field\n")
    let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
    #expect(lines.count == 2)  // the header and the row of line 2
  }

  enum OnError: String, CaseIterable, Sendable {
    case fail, skip, null
  }
}

@Suite struct LiveTextTests {
  @Test func eachLineIsScoredBeforeTheNextArrives() throws {
    let live = try LiveProcess(["--in", "lines", "--max-delay", "5", fixture("models/text_clf.onnx")])
    let reader = live.stdout.fileHandleForReading.fileDescriptor
    var pending: [UInt8] = []
    for index in 0..<8 {
      live.send(Array("ERROR timeout line \(index)\n".utf8))
      // The first answer also waits for the model to load; after that, 50 ms each.
      let deadline = Date().addingTimeInterval(index == 0 ? 10 : 0.05)
      while !pending.contains(0x0A) {
        var descriptor = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
        let remaining = Int32(max(deadline.timeIntervalSinceNow * 1000, 0))
        guard poll(&descriptor, 1, remaining) > 0 else { break }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = read(reader, &chunk, chunk.count)
        guard count > 0 else { break }
        pending += chunk[0..<count]
      }
      #expect(pending.contains(0x0A), "line \(index) not answered before the next one was due")
      if let newline = pending.firstIndex(of: 0x0A) { pending.removeSubrange(...newline) }
      // Pace the input: the next line goes 50 ms after this one.
      let wait = deadline.timeIntervalSinceNow
      if index > 0 && wait > 0 { usleep(UInt32(wait * 1_000_000)) }
    }
    try live.stdin.fileHandleForWriting.close()
    #expect(live.finish().status == 0)
  }
}
