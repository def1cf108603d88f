#if canImport(Glibc)
  import Glibc
#endif

/// Finds record boundaries in buffered input: lines, or CSV records (which
/// may span lines inside quoted fields). Parsing is left to the workers.
///
/// A state machine over an `InputBuffer`: `next` moves one complete record's
/// bytes (without its `\n` or `\r\n`) into a batch payload and returns where
/// it went, or returns nil when it needs more input. A record longer than
/// `maxRecordBytes` is not buffered: it comes back marked `oversized`, with
/// its first bytes, as soon as it passes the limit; the rest is skipped up to its end.
public struct RecordSplitter: Sendable {
  /// How records end.
  public enum Syntax: Sendable {
    /// Every `\n` ends a record.
    case lines
    /// A `\n` outside double quotes ends a record (RFC 4180).
    case csv
  }

  /// Bytes of an oversized record kept for the error message and dead-letter file.
  static let oversizedPrefix = 64

  public let syntax: Syntax
  public let maxRecordBytes: Int
  /// The line on which the next record starts (1-based).
  public private(set) var line = 1
  private var scanned = 0
  private var inQuotes = false
  private var newlines = 0
  /// Dropping the rest of an oversized record that was already handed over.
  private var resynchronizing = false

  public init(syntax: Syntax, maxRecordBytes: Int) {
    precondition(maxRecordBytes >= 1, "maxRecordBytes must be at least 1, got \(maxRecordBytes)")
    self.syntax = syntax
    self.maxRecordBytes = maxRecordBytes
  }

  /// Moves the next complete record into `payload`. At end of input
  /// (`seenEOF`) a last record without a line ending counts too.
  ///
  /// A record that grows past `maxRecordBytes` comes back at once, marked
  /// `oversized` with only its first bytes, without waiting for its end (an
  /// endless record never ends); the splitter then drops input up to that
  /// end before it looks for the next record, holding none of it.
  public mutating func next(
    _ buffer: inout InputBuffer, seenEOF: Bool, into payload: inout [UInt8]
  ) -> RecordSpan? {
    if resynchronizing && !skipToRecordEnd(&buffer, seenEOF: seenEOF) { return nil }
    let found = buffer.withReadableBytes { bytes in scan(bytes) }
    if let end = found {
      return finish(&buffer, length: end, consumed: end + 1, into: &payload)
    }
    if seenEOF && buffer.readableBytes > 0 {
      return finish(&buffer, length: buffer.readableBytes, consumed: buffer.readableBytes, into: &payload)
    }
    if buffer.readableBytes > maxRecordBytes {
      // Too long already: hand over its start now, and drop the rest as it arrives.
      let start = payload.count
      buffer.withReadableBytes { payload.append(contentsOf: $0.prefix(Self.oversizedPrefix)) }
      let span = RecordSpan(range: start..<payload.count, line: line, oversized: true)
      buffer.skip(buffer.readableBytes)
      scanned = 0
      resynchronizing = true
      return span
    }
    return nil
  }

  /// Moves the complete records buffered, up to `limit`, into `payload` in one pass and appends
  /// their spans to `records`; returns how many it took. The reader's fast path: one call per
  /// read instead of one per record. It takes only plain records, as `next` would return them
  /// (the same bytes, spans and line numbers): it stops before a record that needs `next` — one
  /// with a CSV quote, one over `maxRecordBytes`, the last one without a line ending — and
  /// takes nothing while `next` is part way through a record. With `skipBlank`, records holding
  /// only spaces, tabs and carriage returns are dropped (their lines still count).
  public mutating func appendPlainRecords(
    _ buffer: inout InputBuffer, into payload: inout [UInt8], records: inout [RecordSpan], limit: Int,
    skipBlank: Bool
  ) -> Int {
    guard !resynchronizing, !inQuotes, scanned == 0, newlines == 0, limit > 0 else { return 0 }
    var taken = 0
    let consumed = buffer.withReadableBytes { bytes -> Int in
      guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
      // CSV records that end before the first quote are plain; the rest are left to `next`.
      let plainEnd =
        syntax == .csv
        ? offset(of: UInt8(ascii: "\""), in: bytes, from: 0, to: bytes.count) ?? bytes.count : bytes.count
      var start = 0
      while taken < limit, let end = offset(of: 0x0A, in: bytes, from: start, to: plainEnd),
        end - start <= maxRecordBytes
      {
        var recordEnd = end
        if recordEnd > start && base[recordEnd - 1] == 0x0D { recordEnd -= 1 }
        if !skipBlank || !Self.isBlank(base, start, recordEnd) {
          let at = payload.count
          payload.append(contentsOf: UnsafeBufferPointer(start: base + start, count: recordEnd - start))
          records.append(RecordSpan(range: at..<payload.count, line: line, oversized: false))
          taken += 1
        }
        line += 1
        start = end + 1
      }
      return start
    }
    if consumed > 0 { buffer.skip(consumed) }
    return taken
  }

  /// Whether `base[start..<end]` holds only spaces, tabs and carriage returns (as `isBlank`).
  private static func isBlank(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
    var index = start
    while index < end, base[index] == 0x20 || base[index] == 0x09 || base[index] == 0x0D { index += 1 }
    return index == end
  }

  /// Drops input up to and including the end of the oversized record; true once
  /// that end was found (or input ended), false when more input is needed.
  private mutating func skipToRecordEnd(_ buffer: inout InputBuffer, seenEOF: Bool) -> Bool {
    if let end = buffer.withReadableBytes({ bytes in scan(bytes) }) {
      buffer.skip(end + 1)
    } else {
      buffer.skip(buffer.readableBytes)
      scanned = 0
      guard seenEOF else { return false }
    }
    line += 1 + newlines
    newlines = 0
    scanned = 0
    inQuotes = false
    resynchronizing = false
    return true
  }

  /// Looks for the record's end from where the last scan stopped; returns its offset.
  private mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Int? {
    var index = scanned
    defer { scanned = index }
    switch syntax {
    case .lines:
      let end = offset(of: 0x0A, in: bytes, from: index, to: bytes.count)
      index = end ?? bytes.count
      return end
    case .csv:
      // Two memchr calls per record in the common case (no quotes): the line's end, then
      // whether a quote comes before it. Quoted fields are walked quote to quote.
      while index < bytes.count {
        if inQuotes {
          let close = offset(of: UInt8(ascii: "\""), in: bytes, from: index, to: bytes.count)
          newlines += count(of: 0x0A, in: bytes, from: index, to: close ?? bytes.count)
          guard let close else {
            index = bytes.count
            return nil
          }
          inQuotes = false
          index = close + 1
          continue
        }
        let lineEnd = offset(of: 0x0A, in: bytes, from: index, to: bytes.count)
        if let quote = offset(of: UInt8(ascii: "\""), in: bytes, from: index, to: lineEnd ?? bytes.count) {
          inQuotes = true
          index = quote + 1
          continue
        }
        index = lineEnd ?? bytes.count
        return lineEnd
      }
      return nil
    }
  }

  /// The offset of the first `byte` in `bytes[start..<end]`, or nil.
  private func offset(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int?
  {
    guard start < end, let hit = memchr(bytes.baseAddress! + start, Int32(byte), end - start) else {
      return nil
    }
    return bytes.baseAddress!.distance(to: UnsafeRawPointer(hit))
  }

  /// How many `byte`s `bytes[start..<end]` holds.
  private func count(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int {
    var found = 0
    for index in start..<end where bytes[index] == byte { found += 1 }
    return found
  }

  private mutating func finish(
    _ buffer: inout InputBuffer, length: Int, consumed: Int, into payload: inout [UInt8]
  ) -> RecordSpan {
    let start = payload.count
    let recordLine = line
    let oversized = length > maxRecordBytes
    if oversized {
      buffer.withReadableBytes { payload.append(contentsOf: $0.prefix(Self.oversizedPrefix)) }
    } else {
      buffer.withReadableBytes { bytes in
        var end = length
        if end > 0 && bytes[end - 1] == 0x0D { end -= 1 }
        payload.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
      }
    }
    buffer.skip(consumed)
    line += 1 + newlines
    newlines = 0
    scanned = 0
    inQuotes = false
    return RecordSpan(range: start..<payload.count, line: recordLine, oversized: oversized)
  }
}
