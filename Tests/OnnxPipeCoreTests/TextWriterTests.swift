import Foundation
import Testing

@testable import OnnxPipeCore

/// Outputs of every layout the text writers handle: per row, a 2×2 float32
/// grid, a string, an int64 pair and an int64 scalar, computed from the row's
/// first input value v.
struct ShapesEngine: InferenceEngine {
  var signature: ModelSignature {
    ModelSignature(
      inputs: [TensorSpec(name: "x", kind: .tensor(.float32, [.symbolic("N"), .fixed(1)]))],
      outputs: [
        TensorSpec(name: "grid", kind: .tensor(.float32, [.symbolic("N"), .fixed(2), .fixed(2)])),
        TensorSpec(name: "name", kind: .tensor(.string, [.symbolic("N")])),
        TensorSpec(name: "pair", kind: .tensor(.int64, [.symbolic("N"), .fixed(2)])),
        TensorSpec(name: "one", kind: .tensor(.int64, [.symbolic("N")])),
      ])
  }

  func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    guard case .bytes(let raw) = inputs[0].contents else { return [] }
    let values = Array(raw.bindMemory(to: Float.self))
    let rows = values.count
    let grid: [Float] = values.flatMap { [$0, $0 + 0.5, -$0, 0.25] }
    let pairs: [Int64] = values.flatMap { [Int64($0), 7] }
    let all = [
      OutputTensor(element: .float32, shape: [rows, 2, 2], contents: .bytes(bytes(of: grid))),
      OutputTensor(element: .string, shape: [rows], contents: .strings(values.map { "row \"\(Int($0))\"" })),
      OutputTensor(
        element: .int64, shape: [rows, 2], contents: .bytes(bytes(of: pairs))),
      OutputTensor(
        element: .int64, shape: [rows], contents: .bytes(bytes(of: values.map { Int64($0) * 10 }))),
    ]
    return outputs.map { all[$0] }
  }
}

@Suite struct TextWriterTests {
  func scored(_ output: TextOutputFormat, _ lines: [String]) throws -> String {
    let engine = ShapesEngine()
    let format = try TextFormat(
      signature: engine.signature, input: .ndjson, output: output, mapping: InputMapping(), keep: false,
      onError: .null, maxRecordBytes: 1000, csvHeaderRecord: nil, firstRecord: nil)
    let processor = ScoringProcessor(text: format, engine: engine)
    return String(
      decoding: format.outputHeader() + (try processor.process(textBatch(lines))).bytes, as: UTF8.self)
  }

  @Test func ndjsonWritesEachOutputByItsRowShape() throws {
    let text = try scored(.ndjson, [#"{"x":[1]}"#, #"{"x":"bad"}"#, #"{"x":[2]}"#])
    #expect(
      text == #"""
        {"grid":[[1.0,1.5],[-1.0,0.25]],"name":"row \"1\"","pair":[1,7],"one":10}
        {"grid":null,"name":null,"pair":null,"one":null}
        {"grid":[[2.0,2.5],[-2.0,0.25]],"name":"row \"2\"","pair":[2,7],"one":20}

        """#)
  }

  @Test func csvWritesOneColumnPerOutputElement() throws {
    let text = try scored(.csv, [#"{"x":[1]}"#, #"{"x":"bad"}"#, #"{"x":[3]}"#])
    #expect(
      text == #"""
        grid_0,grid_1,grid_2,grid_3,name,pair_0,pair_1,one
        1.0,1.5,-1.0,0.25,"row ""1""",1,7,10
        ,,,,,,,
        3.0,3.5,-3.0,0.25,"row ""3""",3,7,30

        """#)
  }

  @Test func aProcessedBatchGivesItsPayloadBackToThePool() throws {
    let engine = ShapesEngine()
    let format = try TextFormat(
      signature: engine.signature, input: .ndjson, output: .ndjson, mapping: InputMapping(),
      keep: false,
      onError: .fail, maxRecordBytes: 1000, csvHeaderRecord: nil, firstRecord: nil)
    let pool = BufferPool(limit: 1)
    let processor = ScoringProcessor(text: format, engine: engine, bufferPool: pool)
    var batch: Batch? = textBatch([#"{"x":[1]}"#])
    let address = batch!.payload.withUnsafeBytes { $0.baseAddress }
    _ = try processor.process(batch!)
    _ = try processor.process(textBatch([#"{"x":[2]}"#]))
    #expect(pool.count == 1, "the pool keeps at most its limit")
    batch = nil
    let reused = pool.take(minimumCapacity: 4)
    #expect(reused.isEmpty)
    #expect(reused.withUnsafeBytes { $0.baseAddress } == address, "the first payload's memory comes back")
  }
}

@Suite struct JSONStringTests {
  func quoted(_ text: String) -> String {
    var out: [UInt8] = []
    ValueText.appendJSONString(text.utf8, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  @Test func escapesQuotesBackslashesAndControlBytesAndCopiesTheRest() {
    #expect(quoted("plain text") == #""plain text""#)
    #expect(quoted("a\"b\\c\nd\re\tf\u{01}g\u{1F}") == #""a\"b\\c\nd\re\tf\u0001g\u001f""#)
    #expect(quoted("\"\"") == #""\"\"""#)
    #expect(quoted("") == #""""#)
    #expect(quoted("é ünïcode ✓") == "\"é ünïcode ✓\"")
  }

  @Test func aWordNeedsAnEscapeExactlyWhenOneOfItsBytesDoes() {
    func byteNeedsEscape(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x22 || byte == 0x5C }
    func word(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } }
    // Every byte value at every place among plain bytes, and among bytes of UTF-8 (0x80-0xFF).
    var misses: [String] = []
    for filler: UInt8 in [UInt8(ascii: "a"), 0xC3, 0xFF, 0x20, 0x21, 0x23, 0x5B, 0x5D] {
      for place in 0..<8 {
        for value in 0...255 {
          var bytes = [UInt8](repeating: filler, count: 8)
          bytes[place] = UInt8(value)
          if ValueText.needsEscape(word(bytes)) != byteNeedsEscape(UInt8(value)) {
            misses.append("\(bytes)")
          }
        }
      }
    }
    // Random words, two bytes of interest at random places.
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20000 {
      var bytes = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
      if Bool.random(using: &generator) {
        bytes[Int.random(in: 0..<8)] = [0x00, 0x1F, 0x22, 0x5C].randomElement()!
      }
      if ValueText.needsEscape(word(bytes)) != bytes.contains(where: byteNeedsEscape) {
        misses.append("\(bytes)")
      }
    }
    #expect(misses.isEmpty, "\(misses.prefix(5))")
  }

  @Test func specialBytesAreEscapedWhereverTheyFallInALongString() {
    var misses: [String] = []
    for length in [1, 7, 8, 9, 15, 16, 17, 40] {
      for place in 0..<length {
        for (special, escaped) in [("\"", #"\""#), ("\\", #"\\"#), ("\n", #"\n"#), ("\u{1}", #"\u0001"#)] {
          let before = String(repeating: "x", count: place)
          let after = String(repeating: "é", count: length - place)
          let text = before + special + after
          let expected = "\"" + before + escaped + after + "\""
          if quoted(text) != expected { misses.append(text.debugDescription) }
        }
      }
    }
    #expect(misses.isEmpty, "\(misses.prefix(5))")
  }

  @Test func randomStringsReadBackThroughJSONSerialization() throws {
    var generator = SystemRandomNumberGenerator()
    let pieces: [String] = ["a", "\"", "\\", "\n", "\u{0}", "\u{7}", "\u{1F}", " ", "é", "✓", "xyz"]
    for _ in 0..<500 {
      let text = (0..<Int.random(in: 0...60, using: &generator)).map { _ in pieces.randomElement()! }.joined()
      let json = Data(quoted(text).utf8)
      let back = try JSONSerialization.jsonObject(with: json, options: .fragmentsAllowed) as? String
      #expect(back == text, "\(text.debugDescription)")
    }
  }
}

@Suite struct TextPipelineTests {
  @Test func recycledPayloadsKeepEveryRecordInOrderAcrossWorkers() throws {
    // Small batches, several workers and a narrow window: payloads go back to the pool and are
    // refilled while other batches are still being scored (run under TSan by `make sanitize`).
    let rows = 3000
    let text = (0..<rows).map { #"{"x":[\#($0),\#(-2 * $0 % 7)]}"# }.joined(separator: "\n") + "\n"
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("pool-\(getpid()).ndjson").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let fd = open(path, O_RDONLY)
    #expect(fd >= 0)
    defer { close(fd) }
    let source = TextBatchSource(
      input: FileDescriptor(rawValue: fd), syntax: .lines, batchSize: 7, maxDelayMilliseconds: 1000,
      maxRecordBytes: 100, skipBlankRecords: true, readSize: 64)
    let engine = SumEngine(features: 2)
    let format = try TextFormat(
      signature: engine.signature, input: .ndjson, output: .ndjson, mapping: InputMapping(), keep: true,
      onError: .fail, maxRecordBytes: 100, csvHeaderRecord: nil, firstRecord: nil)
    let counter = Counter()
    let sink = CountingSink(produced: counter, batchBytes: 1)
    let pipeline = Pipeline(
      source: source,
      processor: ScoringProcessor(text: format, engine: engine, bufferPool: source.bufferPool),
      sink: SinkBox(sink: sink),
      configuration: PipelineConfiguration(workers: 4, window: 3, writeBufferBytes: 64))
    #expect(pipeline.run() == .finished)
    let expected = (0..<rows).map { row in
      let sum = Float(row) + Float(-2 * row % 7)
      return #"{"x":[\#(row),\#(-2 * row % 7)],"sum":\#(sum),"label":\#(sum > 0 ? 1 : 0)}"#
    }
    #expect(String(decoding: sink.bytes, as: UTF8.self) == expected.joined(separator: "\n") + "\n")
    #expect(source.bufferPool.count > 0, "no payload came back to the pool")
  }
}
