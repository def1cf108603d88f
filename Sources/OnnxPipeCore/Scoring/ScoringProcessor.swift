/// The one processor behind every pair of formats: a reader decodes the
/// batch, the engine runs the rows to score, a writer turns the outputs into
/// bytes. `--on-error`, dead letters and the record counts are applied here,
/// the same way for every format.
public struct ScoringProcessor: BatchProcessor {
  public let reader: any RecordReader
  public let writer: any RecordWriter
  public let engine: any InferenceEngine
  /// The selected outputs (indices into the engine's signature), in the writer's order.
  public let outputs: [Int]
  public let onError: OnErrorPolicy

  public init(
    reader: any RecordReader, writer: any RecordWriter, engine: any InferenceEngine, outputs: [Int],
    onError: OnErrorPolicy = .fail
  ) {
    self.reader = reader
    self.writer = writer
    self.engine = engine
    self.outputs = outputs
    self.onError = onError
  }

  public func process(_ batch: Batch) throws(PipeError) -> ScoredBatch {
    do {
      return try reader.withRecords(batch) { (decoded) throws(PipeError) in try score(decoded, batch) }
    } catch {
      // A merged batch of frames that failed: score its frames one by one, so the
      // error names the frame at fault and every frame before it is written.
      guard let parts = reader.split(batch) else { throw error }
      var joined = ScoredBatch(bytes: [], rows: 0)
      for part in parts {
        do {
          let scored = try process(part)
          joined.bytes += scored.allBytes
          joined.rows += scored.rows
        } catch {
          joined.failure = error
          return joined
        }
      }
      return joined
    }
  }

  private func score(_ decoded: DecodedRecords, _ batch: Batch) throws(PipeError) -> ScoredBatch {
    var fates = decoded.fates
    var results: [OutputTensor]?
    if decoded.rows > 0 {
      do {
        let ran = try decoded.run(engine, outputs)
        if writer.needsRowOutputs {
          for (index, result) in zip(outputs, ran) where result.rowCount != decoded.rows {
            throw PipeError(
              .data,
              "output '\(engine.signature.outputs[index].name)' has \(result.rowCount) rows for \(decoded.rows) records"
            )
          }
        }
        results = ran
      } catch {
        let message = (error as? PipeError)?.message ?? "\(error)"
        let reason = "model run failed: " + message.split(whereSeparator: \.isNewline).joined(separator: " ")
        if onError == .fail {
          throw PipeError(.data, "\(decoded.location(0..<max(decoded.count, 1))): \(reason)")
        }
        fates = (fates ?? (0..<decoded.count).map { .row($0) }).map { fate in
          if case .row = fate { .rejected(reason) } else { fate }
        }
      }
    }
    if let slice = batch.slice, writer.joinsSlices {
      return ScoredBatch(
        bytes: [], rows: decoded.rows, partial: results ?? [], isPartial: !slice.isLast)
    }
    var records = OutputRecords.all(decoded.count)
    var rejected = 0
    var deadLetters: [UInt8] = []
    if let fates {
      var listed: [(record: Int, row: Int?)] = []
      listed.reserveCapacity(fates.count)
      for (record, fate) in fates.enumerated() {
        switch fate {
        case .row(let row): listed.append((record, row))
        case .rejected(let reason):
          rejected += 1
          decoded.deadLetter(record, reason, &deadLetters)
          if onError == .null { listed.append((record, nil)) }
        }
      }
      records = .listed(listed)
    }
    var bytes: [UInt8] = []
    var blocks: [[UInt8]] = []
    try writer.append(results, records: records, decoded: decoded, to: &bytes, blocks: &blocks)
    return ScoredBatch(
      bytes: bytes, blocks: blocks, rows: results == nil ? 0 : decoded.rows, rejected: rejected,
      deadLetters: deadLetters, failure: decoded.failure)
  }

  /// The slices of one frame, in order, as that frame's output.
  public func join(_ parts: [ScoredBatch]) throws(PipeError) -> ScoredBatch {
    let rows = parts.reduce(0) { $0 + $1.rows }
    let joined = outputs.indices.map { position in OutputTensor.joined(parts.map { $0.partial![position] }) }
    var bytes: [UInt8] = []
    try writer.appendJoined(joined, rows: rows, to: &bytes)
    return ScoredBatch(bytes: bytes, rows: rows)
  }
}

extension ScoringProcessor {
  /// Text records read and written by one text format (NDJSON in, NDJSON or CSV out, with
  /// `--keep` as the format says).
  public init(text format: TextFormat, engine: any InferenceEngine, bufferPool: BufferPool? = nil) {
    self.init(
      reader: TextRecordReader(format: format, bufferPool: bufferPool),
      writer: TextRecordWriter(format: format),
      engine: engine, outputs: format.outputs.map(\.index), onError: format.onError)
  }
}
