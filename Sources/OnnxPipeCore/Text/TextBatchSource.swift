#if canImport(Glibc)
  import Glibc
#endif

/// Reads text records and groups them into batches of up to `batchSize`
/// records. A partial batch goes out once `maxDelay` has passed since its first
/// record arrived with no full batch, so a slow live stream is scored
/// promptly while a fast one gets full batches.
public struct TextBatchSource: BatchSource {
  private let input: FileDescriptor
  private var buffer: InputBuffer
  private var splitter: RecordSplitter
  private let batchSize: Int
  private let maxDelayNanoseconds: UInt64
  private let skipBlankRecords: Bool
  private let readSize: Int
  private var seenEOF = false
  /// Triggered on SIGINT/SIGTERM: the records held go out as a last batch.
  public let interruption: Interruption? = Interruption()
  /// Where the workers give batch payloads back (`TextRecordReader(bufferPool:)`).
  public let bufferPool = BufferPool()
  private var interrupted = false
  private var payload: [UInt8] = []
  private var records: [RecordSpan] = []
  private var deadline: UInt64 = 0
  /// No record has been read yet (the next may start with a byte-order mark).
  private var atStreamStart = true

  /// - Parameters:
  ///   - skipBlankRecords: drop empty and whitespace-only records (NDJSON, CSV), not for `lines`.
  public init(
    input: FileDescriptor, syntax: RecordSplitter.Syntax, batchSize: Int, maxDelayMilliseconds: Int,
    maxRecordBytes: Int, skipBlankRecords: Bool, readSize: Int = 1 << 16
  ) {
    precondition(batchSize >= 1, "batchSize must be at least 1, got \(batchSize)")
    self.input = input
    self.batchSize = batchSize
    self.maxDelayNanoseconds = UInt64(max(maxDelayMilliseconds, 0)) * 1_000_000
    self.skipBlankRecords = skipBlankRecords
    self.readSize = readSize
    buffer = InputBuffer(capacity: readSize)
    splitter = RecordSplitter(syntax: syntax, maxRecordBytes: maxRecordBytes)
  }

  /// The next record on its own (the CSV header), before any batch; nil at end of input.
  public mutating func nextRecord() throws(PipeError) -> (bytes: [UInt8], line: Int, oversized: Bool)? {
    if let record = pending {
      pending = nil
      return record
    }
    var bytes: [UInt8] = []
    while true {
      if var span = splitter.next(&buffer, seenEOF: seenEOF, into: &bytes) {
        dropByteOrderMark(&span, in: bytes)
        if skipBlankRecords && !span.oversized && isBlank(bytes[span.range]) {
          bytes.removeAll()
          continue
        }
        return (Array(bytes[span.range]), span.line, span.oversized)
      }
      if seenEOF { return nil }
      try fill()
    }
  }

  /// The next record without consuming it: the following `next()` batch starts with it.
  public mutating func peekRecord() throws(PipeError) -> [UInt8]? {
    if pending == nil { pending = try nextRecord() }
    return pending?.bytes
  }

  private var pending: (bytes: [UInt8], line: Int, oversized: Bool)?

  public mutating func next() throws(PipeError) -> Batch? {
    while true {
      if interrupted { return records.isEmpty ? nil : takeBatch() }
      if let record = pending {
        pending = nil
        add { payload in
          let start = payload.count
          payload.append(contentsOf: record.bytes)
          return RecordSpan(range: start..<payload.count, line: record.line, oversized: record.oversized)
        }
      }
      while records.count < batchSize {
        if !atStreamStart {
          // Every plain record buffered in one pass; `splitter.next` below for the others.
          let wasEmpty = records.isEmpty
          let taken = splitter.appendPlainRecords(
            &buffer, into: &payload, records: &records, limit: batchSize - records.count,
            skipBlank: skipBlankRecords)
          if taken > 0 && wasEmpty { deadline = monotonicNanoseconds() + maxDelayNanoseconds }
          if records.count >= batchSize { break }
        }
        let mark = payload.count
        guard var span = splitter.next(&buffer, seenEOF: seenEOF, into: &payload) else { break }
        dropByteOrderMark(&span, in: payload)
        if skipBlankRecords && !span.oversized && isBlank(payload[span.range]) {
          payload.removeSubrange(mark...)
          continue
        }
        add { _ in span }
      }
      if records.count >= batchSize { return takeBatch() }
      if seenEOF { return records.isEmpty ? nil : takeBatch() }
      if !records.isEmpty {
        let now = monotonicNanoseconds()
        if now >= deadline || !waitForInput(until: deadline, now: now) {
          interrupted = interruption!.isTriggered
          return takeBatch()
        }
      } else if !interruption!.waitForInput(input, milliseconds: -1) {
        interrupted = interruption!.isTriggered
        if interrupted { continue }
      }
      try fill()
    }
  }

  /// A UTF-8 byte-order mark (EF BB BF), which Windows tools put before the
  /// first record, is not part of it: without this it would hide in the first
  /// CSV column's name or break the first JSON object.
  private mutating func dropByteOrderMark(_ span: inout RecordSpan, in bytes: [UInt8]) {
    guard atStreamStart else { return }
    atStreamStart = false
    if !span.oversized, bytes[span.range].starts(with: [0xEF, 0xBB, 0xBF]) {
      span.range = span.range.lowerBound + 3..<span.range.upperBound
    }
  }

  /// Adds a record; the first of a batch starts the --max-delay clock.
  private mutating func add(_ place: (inout [UInt8]) -> RecordSpan) {
    if records.isEmpty {
      deadline = monotonicNanoseconds() + maxDelayNanoseconds
    }
    records.append(place(&payload))
  }

  private mutating func takeBatch() -> Batch {
    let first = records.first!.line
    let batch = Batch(
      origin: BatchOrigin(unit: .line, number: first, byteOffset: nil),
      payload: payload, records: records)
    // Room for a batch a quarter larger than this one: growing past it would copy the whole batch.
    payload = bufferPool.take(minimumCapacity: batch.payload.count + batch.payload.count / 4)
    records = []
    records.reserveCapacity(batchSize)
    return batch
  }

  /// Reads once into the buffer; notes the end of input.
  private mutating func fill() throws(PipeError) {
    let count = try buffer.read(from: input, minimum: readSize)
    if count == 0 { seenEOF = true }
  }

  /// Waits until input is readable, `deadline` passes, or an interrupt; true when readable.
  private func waitForInput(until deadline: UInt64, now: UInt64) -> Bool {
    let milliseconds = Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
    return interruption!.waitForInput(input, milliseconds: milliseconds)
  }
}

/// Whether `bytes` holds only spaces, tabs and carriage returns.
func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool {
  bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
}
