import Testing

@testable import OnnxPipeCore

/// A reader that decodes each batch as told: its payload's bytes are the records,
/// 0 marks a bad one (rejected, or the failure under --on-error fail), any other
/// byte a good one whose value is fed to the model.
private struct ScriptedReader: RecordReader {
  let onError: OnErrorPolicy
  /// The records of each merged frame, as a raw reader gives them; nil: one unit.
  var groups: [Int]? = nil

  func withRecords<R>(_ batch: Batch, _ body: (DecodedRecords) throws(PipeError) -> R) throws(PipeError) -> R
  {
    var fates: [RecordFate] = []
    var values: [Float] = []
    var failure: PipeError?
    for (index, byte) in batch.payload.enumerated() {
      if byte == 0 {
        if onError == .fail {
          failure = PipeError(.data, "record \(index + 1): zero")
          break
        }
        fates.append(.rejected("zero"))
      } else {
        fates.append(.row(values.count))
        values.append(Float(byte))
      }
    }
    let rows = values.count
    return try body(
      DecodedRecords(
        count: fates.count, fates: fates, failure: failure, rows: rows, groups: groups, isUnit: groups != nil,
        location: { "records \($0.lowerBound + 1)-\($0.upperBound)" },
        deadLetter: { record, reason, out in out += Array("\(record):\(reason)\n".utf8) },
        run: { engine, outputs in
          try values.withUnsafeBytes { raw in
            try engine.run(
              [InputTensor(element: .float32, shape: [rows, 1], contents: .bytes(raw))], outputs: outputs)
          }
        }))
  }
}

/// Writes `record:row` (or `record:null`) per output record.
private struct ListingWriter: RecordWriter {
  var outputIndices: [Int] { [0] }
  var preamble: [UInt8] { [] }

  func append(
    _ results: [OutputTensor]?, records: OutputRecords, decoded: DecodedRecords, to out: inout [UInt8]
  ) throws(PipeError) {
    records.forEach { record, row in out += Array("\(record):\(row.map(String.init) ?? "null") ".utf8) }
  }
}

/// Copies its input through; fails when told to.
private struct PassEngine: InferenceEngine {
  var fails = false
  var signature: ModelSignature {
    ModelSignature(
      inputs: [TensorSpec(name: "x", kind: .tensor(.float32, [.symbolic("N"), .fixed(1)]))],
      outputs: [TensorSpec(name: "y", kind: .tensor(.float32, [.symbolic("N")]))])
  }

  func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    if fails { throw PipeError(.data, "boom") }
    guard case .bytes(let raw) = inputs[0].contents else { return [] }
    return [OutputTensor(element: .float32, shape: [inputs[0].shape[0]], contents: .bytes(Array(raw)))]
  }
}

private func score(_ records: [UInt8], onError: OnErrorPolicy, fails: Bool = false) throws(PipeError)
  -> (text: String, scored: ScoredBatch)
{
  let processor = ScoringProcessor(
    reader: ScriptedReader(onError: onError), writer: ListingWriter(), engine: PassEngine(fails: fails),
    outputs: [0], onError: onError)
  let scored = try processor.process(
    Batch(origin: BatchOrigin(unit: .record, number: 1, byteOffset: nil), payload: records))
  return (String(decoding: scored.bytes, as: UTF8.self), scored)
}

@Suite struct ScoringProcessorTests {
  @Test func skipDropsRejectedRecordsAndFilesEachAsADeadLetter() throws {
    let (text, scored) = try score([5, 0, 7, 0], onError: .skip)
    #expect(text == "0:0 2:1 ")
    #expect(scored.rows == 2)
    #expect(scored.rejected == 2)
    #expect(String(decoding: scored.deadLetters, as: UTF8.self) == "1:zero\n3:zero\n")
  }

  @Test func nullWritesARecordOfNullsInPlaceOfEachRejectedOne() throws {
    let (text, scored) = try score([0, 5, 0], onError: .null)
    #expect(text == "0:null 1:0 2:null ")
    #expect(scored.rejected == 2)
  }

  @Test func failWritesTheRecordsBeforeTheBadOneThenCarriesItsError() throws {
    let (text, scored) = try score([5, 6, 0, 7], onError: .fail)
    #expect(text == "0:0 1:1 ")
    #expect(scored.failure?.message == "record 3: zero")
  }

  @Test func aFailedRunRejectsEveryRecordUnderSkipAndNull() throws {
    let skipped = try score([5, 0, 6], onError: .skip, fails: true)
    #expect(skipped.text == "")
    #expect(skipped.scored.rows == 0)
    #expect(skipped.scored.rejected == 3)
    #expect(
      String(decoding: skipped.scored.deadLetters, as: UTF8.self)
        == "0:model run failed: boom\n1:zero\n2:model run failed: boom\n")
    let nulls = try score([5, 6], onError: .null, fails: true)
    #expect(nulls.text == "0:null 1:null ")
  }

  @Test func aFailedRunStopsUnderFailNamingTheRecords() {
    #expect(throws: PipeError(.data, "records 1-2: model run failed: boom")) {
      try score([5, 6], onError: .fail, fails: true)
    }
  }

  @Test func everyRecordScoredIsWrittenRowForRow() throws {
    let (text, scored) = try score([1, 2, 3], onError: .skip)
    #expect(text == "0:0 1:1 2:2 ")
    #expect(scored.rows == 3)
    #expect(scored.rejected == 0)
    #expect(scored.deadLetters.isEmpty)
  }

  @Test func aRawFrameHandsOverTheModelsArraysAsBlocksUnlessFramesWereMerged() throws {
    let writer = RawFrameWriter(format: try RawFormat(signature: PassEngine().signature))
    func scored(_ groups: [Int]?) throws -> ScoredBatch {
      try ScoringProcessor(
        reader: ScriptedReader(onError: .fail, groups: groups), writer: writer, engine: PassEngine(),
        outputs: [0], onError: .fail
      ).process(Batch(origin: BatchOrigin(unit: .frame, number: 1, byteOffset: 0), payload: [1, 2, 3]))
    }
    let block = [Float(1), 2, 3].withUnsafeBytes { Array($0) }
    let one = try scored(nil)
    #expect(one.bytes == [12, 0, 0, 0])
    #expect(one.blocks == [block])
    // Merged frames are cut apart per frame, into `bytes`.
    let merged = try scored([1, 2])
    #expect(merged.blocks.isEmpty)
    let frames: [[UInt8]] = [[4, 0, 0, 0], Array(block[0..<4]), [8, 0, 0, 0], Array(block[4...])]
    #expect(merged.bytes == frames.flatMap { $0 })
  }
}
