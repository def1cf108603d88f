import Testing

@testable import OnnxPipeCore

/// Sums each row of a float32 input [N, k]: output "sum" float32 [N] and "label" int64 [N] (1 when sum > 0).
struct SumEngine: InferenceEngine {
  let features: Int
  var signature: ModelSignature {
    ModelSignature(
      inputs: [TensorSpec(name: "x", kind: .tensor(.float32, [.symbolic("N"), .fixed(features)]))],
      outputs: [
        TensorSpec(name: "sum", kind: .tensor(.float32, [.symbolic("N")])),
        TensorSpec(name: "label", kind: .tensor(.int64, [.symbolic("N")])),
      ])
  }

  func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    guard case .bytes(let raw) = inputs[0].contents else { return [] }
    let values = Array(raw.bindMemory(to: Float.self))
    let rows = inputs[0].shape[0]
    let sums = (0..<rows).map { row in values[(row * features)..<((row + 1) * features)].reduce(0, +) }
    let all = [
      OutputTensor(element: .float32, shape: [rows], contents: .bytes(bytes(of: sums))),
      OutputTensor(
        element: .int64, shape: [rows], contents: .bytes(bytes(of: sums.map { Int64($0 > 0 ? 1 : 0) }))),
    ]
    return outputs.map { all[$0] }
  }
}

func textBatch(_ lines: [String], firstLine: Int = 1) -> Batch {
  var payload: [UInt8] = []
  var records: [RecordSpan] = []
  for (index, line) in lines.enumerated() {
    let start = payload.count
    payload += Array(line.utf8)
    records.append(RecordSpan(range: start..<payload.count, line: firstLine + index))
  }
  return Batch(
    origin: BatchOrigin(unit: .line, number: firstLine, byteOffset: nil), payload: payload, records: records)
}

func processor(
  input: TextInputFormat = .ndjson, output: TextOutputFormat = .ndjson, keep: Bool = false,
  onError: OnErrorPolicy = .fail, header: String? = nil, first: String? = nil
) throws -> ScoringProcessor {
  let engine = SumEngine(features: 2)
  let format = try TextFormat(
    signature: engine.signature, input: input, output: output, mapping: TextFormat.Mapping(), keep: keep,
    onError: onError, maxRecordBytes: 1000, csvHeaderRecord: header.map { Array($0.utf8) },
    firstRecord: first.map { Array($0.utf8) })
  return ScoringProcessor(text: format, engine: engine)
}

@Suite struct TextProcessorTests {
  let lines = [#"{"x":[1,2]}"#, #"{"x":[1]}"#, #"{"id":"a","x":[-5,1]}"#]

  @Test func failStopsAtTheFirstBadRecordAfterWritingTheOnesBefore() throws {
    let scored = try processor().process(textBatch(lines, firstLine: 10))
    #expect(String(decoding: scored.bytes, as: UTF8.self) == "{\"sum\":3.0,\"label\":1}\n")
    #expect(scored.failure == PipeError(.data, "line 11: input 'x': expected 2 values, got 1"))
  }

  @Test func skipLeavesTheRecordOutAndWritesADeadLetter() throws {
    let scored = try processor(onError: .skip).process(textBatch(lines))
    #expect(
      String(decoding: scored.bytes, as: UTF8.self)
        == "{\"sum\":3.0,\"label\":1}\n{\"sum\":-4.0,\"label\":0}\n")
    #expect(
      String(decoding: scored.deadLetters, as: UTF8.self)
        == #"{"line":2,"reason":"input 'x': expected 2 values, got 1","record":"{\"x\":[1]}"}"# + "\n")
    #expect(scored.rejected == 1)
    #expect(scored.rows == 2)
    #expect(scored.failure == nil)
  }

  @Test func nullWritesNullOutputsAndKeepsTheRecord() throws {
    let scored = try processor(keep: true, onError: .null).process(textBatch(lines))
    #expect(
      String(decoding: scored.bytes, as: UTF8.self)
        == "{\"x\":[1,2],\"sum\":3.0,\"label\":1}\n{\"x\":[1],\"sum\":null,\"label\":null}\n"
        + "{\"id\":\"a\",\"x\":[-5,1],\"sum\":-4.0,\"label\":0}\n")
  }

  @Test func keepWrapsALineAndCSVKeepsItsColumns() throws {
    let csv = try processor(input: .csv, output: .csv, keep: true, header: "id,a,b", first: "x,1,2")
    #expect(String(decoding: csv.writer.preamble, as: UTF8.self) == "id,a,b,sum,label\n")
    let scored = try csv.process(textBatch(["x,1,2", "\"y,z\",0.5,-1"]))
    #expect(String(decoding: scored.bytes, as: UTF8.self) == "x,1,2,3.0,1\n\"y,z\",0.5,-1,-0.5,0\n")
    let json = try processor(input: .csv, output: .ndjson, keep: true, header: "id,a,b", first: "x,1,2")
    let object = try json.process(textBatch(["x,1,2"]))
    #expect(
      String(decoding: object.bytes, as: UTF8.self)
        == "{\"id\":\"x\",\"a\":1,\"b\":2,\"sum\":3.0,\"label\":1}\n")
  }

  @Test func csvNullRowsKeepTheColumnCount() throws {
    let csv = try processor(
      input: .csv, output: .csv, keep: true, onError: .null, header: "a,b", first: "1,2")
    let scored = try csv.process(textBatch(["1,zz", "1,2,3"]))
    #expect(String(decoding: scored.bytes, as: UTF8.self) == "1,zz,,\n,,,\n")
    #expect(scored.rejected == 2)
  }

  @Test func oversizedRecordsAreRejectedWithTheLimit() throws {
    var batch = textBatch(["xxxx"])
    batch.records[0].oversized = true
    let scored = try processor(onError: .skip).process(batch)
    #expect(
      String(decoding: scored.deadLetters, as: UTF8.self)
        == #"{"line":1,"reason":"record longer than --max-record-bytes 1000","record":"xxxx"}"# + "\n")
  }
}
