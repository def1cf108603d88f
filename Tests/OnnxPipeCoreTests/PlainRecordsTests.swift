import Testing

@testable import OnnxPipeCore

/// Splits `bytes` fed in chunks of `chunk` bytes, taking plain records in one pass where it can
/// (`appendPlainRecords`, as the text reader does) and the others one by one (`next`); returns
/// (record bytes, line, oversized) triples, without the blank records when `skipBlank`.
private func splitFast(
  _ bytes: [UInt8], syntax: RecordSplitter.Syntax, chunk: Int, maxRecordBytes: Int, skipBlank: Bool
) -> (records: [([UInt8], Int, Bool)], fast: Int) {
  var splitter = RecordSplitter(syntax: syntax, maxRecordBytes: maxRecordBytes)
  var buffer = InputBuffer(capacity: 4)
  var payload: [UInt8] = []
  var spans: [RecordSpan] = []
  var fast = 0
  func drain(_ seenEOF: Bool) {
    while true {
      fast += splitter.appendPlainRecords(
        &buffer, into: &payload, records: &spans, limit: 1000, skipBlank: skipBlank)
      let mark = payload.count
      guard let span = splitter.next(&buffer, seenEOF: seenEOF, into: &payload) else { return }
      if skipBlank && !span.oversized && isBlank(payload[span.range]) {
        payload.removeSubrange(mark...)
        continue
      }
      spans.append(span)
    }
  }
  feedInChunks(bytes, chunk: chunk) { piece in
    if let piece { buffer.write(piece) }
    drain(piece == nil)
  }
  return (spans.map { (Array(payload[$0.range]), $0.line, $0.oversized) }, fast)
}

/// The same input through `next` alone, dropping blank records as the reader does.
private func splitSlow(
  _ bytes: [UInt8], syntax: RecordSplitter.Syntax, chunk: Int, maxRecordBytes: Int, skipBlank: Bool
) -> [([UInt8], Int, Bool)] {
  var splitter = RecordSplitter(syntax: syntax, maxRecordBytes: maxRecordBytes)
  var buffer = InputBuffer(capacity: 4)
  var payload: [UInt8] = []
  var records: [([UInt8], Int, Bool)] = []
  func drain(_ seenEOF: Bool) {
    while let span = splitter.next(&buffer, seenEOF: seenEOF, into: &payload) {
      if skipBlank && !span.oversized && isBlank(payload[span.range]) { continue }
      records.append((Array(payload[span.range]), span.line, span.oversized))
    }
  }
  feedInChunks(bytes, chunk: chunk) { piece in
    if let piece { buffer.write(piece) }
    drain(piece == nil)
  }
  return records
}

@Suite struct PlainRecordsTests {
  /// Random streams of plain, blank, CR-ended, quoted (multi-line) and oversized records, at
  /// every chunk size: the one-pass path gives exactly what `next` gives, record by record.
  @Test(arguments: [RecordSplitter.Syntax.lines, .csv])
  func onePassGivesWhatNextGives(syntax: RecordSplitter.Syntax) {
    var generator = SystemRandomNumberGenerator()
    let pieces = [
      "1.5,2,3", "", " \t", "\r", "a,b\r", "\"q,\nx\",1", "x\"y", "\"\"", "-0.25,7",
      String(repeating: "z", count: 90),
    ]
    for round in 0..<300 {
      let count = Int.random(in: 0...30, using: &generator)
      var text = (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined(separator: "\n")
      if Bool.random(using: &generator) { text += "\n" }
      let bytes = (round % 7 == 0 ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8)
      for chunk in [1, 2, 3, 7, 16, 64, 1000] {
        for skipBlank in [false, true] {
          let fast = splitFast(bytes, syntax: syntax, chunk: chunk, maxRecordBytes: 60, skipBlank: skipBlank)
          let slow = splitSlow(bytes, syntax: syntax, chunk: chunk, maxRecordBytes: 60, skipBlank: skipBlank)
          #expect(fast.records.count == slow.count, "\(text.debugDescription) chunk \(chunk)")
          for (a, b) in zip(fast.records, slow) {
            #expect(a.0 == b.0 && a.1 == b.1 && a.2 == b.2, "\(text.debugDescription) chunk \(chunk)")
          }
        }
      }
    }
  }

  /// Plain records do take the one-pass path (it is not there for show), and only up to the limit.
  @Test func plainRecordsTakeThePathUpToTheLimit() {
    var splitter = RecordSplitter(syntax: .csv, maxRecordBytes: 100)
    var buffer = InputBuffer(capacity: 4)
    buffer.write(Array("1,2\r\n\n3,4\n5,\"6\"\n7,8\n".utf8))
    var payload: [UInt8] = []
    var spans: [RecordSpan] = []
    #expect(
      splitter.appendPlainRecords(&buffer, into: &payload, records: &spans, limit: 1, skipBlank: true) == 1)
    #expect(
      splitter.appendPlainRecords(&buffer, into: &payload, records: &spans, limit: 9, skipBlank: true) == 1)
    #expect(spans.map { String(decoding: payload[$0.range], as: UTF8.self) } == ["1,2", "3,4"])
    #expect(spans.map(\.line) == [1, 3])
    // The quoted record is left to `next`, and what follows it too, until `next` has taken it.
    #expect(
      splitter.appendPlainRecords(&buffer, into: &payload, records: &spans, limit: 9, skipBlank: true) == 0)
    let quoted = splitter.next(&buffer, seenEOF: false, into: &payload)
    #expect(quoted.map { String(decoding: payload[$0.range], as: UTF8.self) } == "5,\"6\"")
    #expect(
      splitter.appendPlainRecords(&buffer, into: &payload, records: &spans, limit: 9, skipBlank: true) == 1)
    #expect(spans.last.map(\.line) == 5)
  }
}
