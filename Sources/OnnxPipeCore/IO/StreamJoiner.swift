/// Joins the bytes of several files into one stream of records, file after
/// file, the way `InputFiles` writes them: a pure state machine, so its rules
/// are tested apart from the I/O (at every chunk size).
///
/// Raw frames and Arrow pass as they are. For text, each file after the first
/// loses a UTF-8 byte-order mark (the reader drops only the stream's first), and
/// a file whose last line has no line ending gets one, so its last record does
/// not run into the next file's first. For CSV with a header, each later file
/// must start with the first file's header line, which is then dropped: one
/// header per file, one header in the stream.
///
///     a.csv: "x,y\n1,2"        b.csv: "\u{FEFF}x,y\r\n3,4\n"
///     stream: "x,y\n1,2\n3,4\n"  (b's mark and header dropped, a's last line ended)
public struct StreamJoiner: Sendable {
  /// How the files' bytes meet.
  public enum Rule: Sendable, Equatable {
    /// Byte for byte, as `cat` does (raw frames).
    case bytes
    /// Text records: marks dropped and last lines ended.
    case text
    /// Text with a header line in every file, kept once.
    case csvWithHeader
  }

  /// Where one file's bytes are in the stream, for naming it in an error.
  public struct Extent: Sendable, Equatable {
    /// The stream's line number of the file's first line passed on.
    public var firstLine: Int
    /// Lines of the file not passed on before that one (its repeated header).
    public var droppedLines: Int
    /// Lines passed on (newlines, counting one added at its end).
    public var lines: Int
    /// The stream's byte offset of the file's first byte passed on.
    public var firstByte: Int = 0
    /// Bytes passed on.
    public var bytes: Int = 0
  }

  /// A later file that does not start with the first file's header.
  public struct HeaderMismatch: Error, Equatable, Sendable {
    /// The later file's first line, as far as it was read.
    public let found: [UInt8]
    /// The first file's header line.
    public let expected: [UInt8]
  }

  public let rule: Rule
  /// The largest header line held while checking it (`--max-record-bytes`).
  public let maxHeaderBytes: Int
  /// One extent per file started, in order.
  public private(set) var extents: [Extent] = []

  private var header: [UInt8]?
  private var recordingHeader = false
  private var held: [UInt8] = []
  private var checkingMark = false
  private var checkingHeader = false
  private var lastByte: UInt8?

  private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

  public init(rule: Rule, maxHeaderBytes: Int = 1 << 20) {
    self.rule = rule
    self.maxHeaderBytes = maxHeaderBytes
  }

  /// Starts the next file.
  public mutating func startFile() {
    let line = extents.last.map { $0.firstLine + $0.lines } ?? 1
    let byte = extents.last.map { $0.firstByte + $0.bytes } ?? 0
    extents.append(Extent(firstLine: line, droppedLines: 0, lines: 0, firstByte: byte))
    held = []
    lastByte = nil
    guard rule != .bytes else { return }
    // The stream's first bytes stay as they are: the reader drops the stream's first mark.
    let later = extents.count > 1 && (rule == .text || header != nil)
    checkingMark = later
    checkingHeader = later && rule == .csvWithHeader
    recordingHeader = rule == .csvWithHeader && header == nil
  }

  /// What to pass on for `chunk`, the next bytes of the current file.
  public mutating func pass(_ chunk: some Collection<UInt8>) throws(HeaderMismatch) -> [UInt8] {
    precondition(!extents.isEmpty, "startFile() comes before pass(_:)")
    guard rule != .bytes else {
      extents[extents.count - 1].bytes += chunk.count
      return Array(chunk)
    }
    var input = held + chunk
    held = []
    if checkingMark {
      if input.count < Self.byteOrderMark.count && Self.byteOrderMark.starts(with: input) {
        held = input  // maybe a mark, cut by the read
        return []
      }
      if input.starts(with: Self.byteOrderMark) { input.removeFirst(Self.byteOrderMark.count) }
      checkingMark = false
    }
    if checkingHeader {
      guard let end = input.firstIndex(of: 0x0A) else {
        if input.count > maxHeaderBytes { throw HeaderMismatch(found: input, expected: header ?? []) }
        held = input
        return []
      }
      try checkHeader(Array(input[..<end]))
      extents[extents.count - 1].droppedLines = 1
      input.removeFirst(end + 1)
      checkingHeader = false
    }
    if recordingHeader {
      let end = input.firstIndex(of: 0x0A) ?? input.endIndex
      header = (header ?? []) + input[..<end]
      if end != input.endIndex { recordingHeader = false }
    }
    note(input)
    return input
  }

  /// What to add at the end of the current file: a line ending its last line lacked.
  public mutating func endFile() throws(HeaderMismatch) -> [UInt8] {
    guard rule != .bytes else { return [] }
    if checkingHeader && !held.isEmpty {
      // The file ends inside its first line: a header with no records after it, or not the header.
      try checkHeader(held)
      extents[extents.count - 1].droppedLines = 1
      held = []
      return []
    }
    var tail = held  // a start shorter than a mark, that was not one
    held = []
    if recordingHeader, !tail.isEmpty || header != nil { recordingHeader = false }
    note(tail)
    if let lastByte, lastByte != 0x0A {
      tail.append(0x0A)
      note([0x0A])
    }
    return tail
  }

  private func checkHeader(_ line: [UInt8]) throws(HeaderMismatch) {
    var found = line[...]
    if found.starts(with: Self.byteOrderMark) { found = found.dropFirst(Self.byteOrderMark.count) }
    if found.last == 0x0D { found = found.dropLast() }
    var expected = (header ?? [])[...]
    if expected.starts(with: Self.byteOrderMark) { expected = expected.dropFirst(Self.byteOrderMark.count) }
    if expected.last == 0x0D { expected = expected.dropLast() }
    guard found.elementsEqual(expected) else {
      throw HeaderMismatch(found: Array(found), expected: Array(expected))
    }
  }

  private mutating func note(_ bytes: [UInt8]) {
    guard let last = bytes.last else { return }
    lastByte = last
    extents[extents.count - 1].bytes += bytes.count
    var newlines = 0
    for byte in bytes where byte == 0x0A { newlines += 1 }
    extents[extents.count - 1].lines += newlines
  }

  /// The file and its own byte offset for `byte` of the stream (which
  /// `.bytes` passes as it is), or nil past the end.
  public func locate(byte: Int) -> (file: Int, byte: Int)? {
    guard let index = extents.lastIndex(where: { $0.firstByte <= byte && $0.bytes > 0 }),
      byte < extents[index].firstByte + extents[index].bytes
    else { return nil }
    return (index, byte - extents[index].firstByte)
  }

  /// The file and its own line number for `line` of the stream, or nil past the end.
  public func locate(line: Int) -> (file: Int, line: Int)? {
    guard let index = extents.lastIndex(where: { $0.firstLine <= line }) else { return nil }
    let extent = extents[index]
    return (index, line - extent.firstLine + 1 + extent.droppedLines)
  }
}
