import Testing

@testable import OnnxPipeCore

/// Splits `text` fed in chunks of `chunk` bytes; returns (record text, line, oversized) triples.
func split(
  _ text: String, syntax: RecordSplitter.Syntax, chunk: Int, maxRecordBytes: Int = 1000
) -> [(String, Int, Bool)] {
  let bytes = Array(text.utf8)
  var splitter = RecordSplitter(syntax: syntax, maxRecordBytes: maxRecordBytes)
  var buffer = InputBuffer(capacity: 4)
  var payload: [UInt8] = []
  var records: [(String, Int, Bool)] = []
  func drain(_ seenEOF: Bool) {
    while let span = splitter.next(&buffer, seenEOF: seenEOF, into: &payload) {
      records.append((String(decoding: payload[span.range], as: UTF8.self), span.line, span.oversized))
    }
  }
  feedInChunks(bytes, chunk: chunk) { piece in
    if let piece { buffer.write(piece) }
    drain(piece == nil)
  }
  return records
}

@Suite struct RecordSplitterTests {
  static let csv = "a,b\r\n1,\"x\ny\"\n\n2,\"q\"\"\n\"\n3,z"

  @Test(arguments: Array(1...12) + [100])
  func csvRecordsSpanQuotedNewlinesAtEveryChunkSize(chunk: Int) {
    let records = split(Self.csv, syntax: .csv, chunk: chunk)
    #expect(records.map(\.0) == ["a,b", "1,\"x\ny\"", "", "2,\"q\"\"\n\"", "3,z"])
    #expect(records.map(\.1) == [1, 2, 4, 5, 7])
  }

  @Test(arguments: Array(1...9))
  func linesEndAtEveryNewlineAndKeepTheLastUnterminatedLine(chunk: Int) {
    let records = split("one\r\ntwo \"x\n\nlast", syntax: .lines, chunk: chunk)
    #expect(records.map(\.0) == ["one", "two \"x", "", "last"])
    #expect(records.map(\.1) == [1, 2, 3, 4])
  }

  @Test(arguments: [1, 3, 64])
  func oversizedRecordKeepsItsStartAndTheStreamGoesOn(chunk: Int) {
    let long = String(repeating: "x", count: 500)
    let records = split("ok\n\(long)\nafter\n", syntax: .lines, chunk: chunk, maxRecordBytes: 100)
    #expect(records.count == 3)
    #expect(records[1].0 == String(repeating: "x", count: RecordSplitter.oversizedPrefix))
    #expect(records[1].2)
    #expect(records.map(\.0).last == "after")
    #expect(records.map(\.1) == [1, 2, 3])
  }

  /// An endless record (`/dev/zero`) never ends: it must come out at the limit, not at its end.
  @Test(arguments: [RecordSplitter.Syntax.lines, .csv])
  func anEndlessRecordIsHandedOverAtTheLimitAndNothingIsHeld(syntax: RecordSplitter.Syntax) {
    var splitter = RecordSplitter(syntax: syntax, maxRecordBytes: 100)
    var buffer = InputBuffer(capacity: 16)
    var payload: [UInt8] = []
    buffer.write(repeatElement(UInt8(ascii: "z"), count: 60))
    #expect(splitter.next(&buffer, seenEOF: false, into: &payload) == nil)
    buffer.write(repeatElement(UInt8(ascii: "z"), count: 60))
    let span = splitter.next(&buffer, seenEOF: false, into: &payload)
    #expect(span == RecordSpan(range: 0..<RecordSplitter.oversizedPrefix, line: 1, oversized: true))
    #expect(buffer.readableBytes == 0)
    for _ in 0..<100 {
      buffer.write(repeatElement(UInt8(ascii: "z"), count: 1000))
      #expect(splitter.next(&buffer, seenEOF: false, into: &payload) == nil)
      #expect(buffer.readableBytes == 0)
    }
    #expect(payload.count == RecordSplitter.oversizedPrefix)
  }

  /// After an oversized record the next one starts after its end, even a CSV
  /// quoted field's newlines counted, and the line numbers stay right.
  @Test(arguments: [1, 7, 64])
  func theRecordAfterAnOversizedOneKeepsItsLineNumber(chunk: Int) {
    let long = "\"" + String(repeating: "y\n", count: 80) + "\",2"
    let records = split("a,b\n\(long)\nok,1\n", syntax: .csv, chunk: chunk, maxRecordBytes: 100)
    #expect(records.map(\.0) == ["a,b", String(long.prefix(RecordSplitter.oversizedPrefix)), "ok,1"])
    #expect(records.map(\.1) == [1, 2, 83])
    #expect(records.map(\.2) == [false, true, false])
  }

  @Test func aRecordOfExactlyTheMaximumIsAccepted() {
    let records = split("12345\n", syntax: .lines, chunk: 2, maxRecordBytes: 5)
    #expect(records.map(\.0) == ["12345"])
    #expect(records.map(\.2) == [false])
  }

  /// The CSV rule read one byte at a time: what the memchr-based splitter must agree with.
  static func referenceCSV(_ text: String) -> [(String, Int)] {
    var records: [(String, Int)] = []
    var current: [UInt8] = []
    var inQuotes = false
    var line = 1
    var start = 1
    for byte in text.utf8 {
      if byte == UInt8(ascii: "\"") { inQuotes.toggle() }
      if byte == 0x0A {
        line += 1
        if !inQuotes {
          if current.last == 0x0D { current.removeLast() }
          records.append((String(decoding: current, as: UTF8.self), start))
          current = []
          start = line
          continue
        }
      }
      current.append(byte)
    }
    if !current.isEmpty {
      if current.last == 0x0D { current.removeLast() }
      records.append((String(decoding: current, as: UTF8.self), start))
    }
    return records
  }

  @Test func csvSplittingAgreesWithTheByteAtATimeRuleOnRandomText() {
    var generator = SystemRandomNumberGenerator()
    let alphabet: [Character] = ["a", "1", ",", "\"", "\"", "\n", "\r", " "]
    for _ in 0..<2000 {
      let length = Int.random(in: 0...60, using: &generator)
      let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
      let chunk = Int.random(in: 1...16, using: &generator)
      let records = split(text, syntax: .csv, chunk: chunk)
      let expected = Self.referenceCSV(text)
      #expect(records.map(\.0) == expected.map(\.0), "text \(text.debugDescription), chunk \(chunk)")
      #expect(records.map(\.1) == expected.map(\.1), "text \(text.debugDescription), chunk \(chunk)")
    }
  }
}

/// Calls `step` with each `chunk`-byte piece of `bytes` in order, then with nil: the end of input.
func feedInChunks(_ bytes: [UInt8], chunk: Int, _ step: (_ piece: ArraySlice<UInt8>?) -> Void) {
  var offset = 0
  while offset < bytes.count {
    let end = min(offset + chunk, bytes.count)
    step(bytes[offset..<end])
    offset = end
  }
  step(nil)
}
