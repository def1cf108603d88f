/// Guesses what a stream or file is from its first bytes, to turn "frame
/// length too large", "header is not UTF-8" or ONNX Runtime's "protobuf
/// parsing failed" into what the user can act on: the data is compressed, or
/// is another format than the one expected.
public enum InputSniffer {
  /// What the first bytes look like.
  public enum Kind: Sendable, Equatable {
    /// Compressed data: the compressor's name and the command that decompresses it.
    case compressed(name: String, decompressor: String)
    case zipArchive, arrowStream, arrowFile, parquet
    /// Text whose first line starts with `{` (NDJSON) or `[` (a JSON array, or NDJSON arrays).
    case ndjson, jsonArray
    /// Text whose first line has a comma, or has none.
    case csv, lines
  }

  private static let compressors: [(magic: [UInt8], name: String, decompressor: String)] = [
    ([0x1F, 0x8B], "gzip", "zcat"), ([0x28, 0xB5, 0x2F, 0xFD], "zstd", "zstdcat"),
    ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz", "xzcat"),
  ]

  /// What `head` (a stream's or file's first bytes) looks like, or nil for
  /// other binary data. `complete`: `head` is all there is (no character cut at its end).
  public static func classify(_ head: some Collection<UInt8>, complete: Bool = false) -> Kind? {
    let head = Array(head.prefix(1 << 16))
    for compressor in compressors where head.starts(with: compressor.magic) {
      return .compressed(name: compressor.name, decompressor: compressor.decompressor)
    }
    if head.starts(with: Array("BZh".utf8)), head.count > 3, (0x31...0x39).contains(head[3]) {
      return .compressed(name: "bzip2", decompressor: "bzcat")
    }
    if head.starts(with: Array("PK\u{3}\u{4}".utf8)) { return .zipArchive }
    if head.starts(with: [0xFF, 0xFF, 0xFF, 0xFF]) { return .arrowStream }
    if head.starts(with: Array("ARROW1".utf8)) { return .arrowFile }
    if head.starts(with: Array("PAR1".utf8)) { return .parquet }
    var body = head[...]
    if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
    guard !body.isEmpty, isText(body, complete: complete) else { return nil }
    let firstLine = body.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }.prefix { $0 != 0x0A }
    switch firstLine.first {
    case UInt8(ascii: "{"): return .ndjson
    case UInt8(ascii: "["): return .jsonArray
    default: return firstLine.contains(UInt8(ascii: ",")) ? .csv : .lines
    }
  }

  /// Whether `bytes` are UTF-8 text without control characters other than
  /// tab, line feed, form feed and carriage return. Unless `complete`, a
  /// character cut at the end is allowed.
  public static func isText(_ bytes: some Collection<UInt8>, complete: Bool) -> Bool {
    guard !bytes.contains(where: { ($0 < 0x20 && ![0x09, 0x0A, 0x0C, 0x0D].contains($0)) || $0 == 0x7F })
    else { return false }
    for cut in 0...(complete ? 0 : min(3, bytes.count)) {
      if String(validating: bytes.dropLast(cut), as: UTF8.self) != nil { return true }
    }
    return false
  }

  /// What the stream starting with `bytes` looks like and what to do, or nil
  /// when it looks like nothing we know or like `expected`, the `--in` format in force.
  public static func describe(_ bytes: some Collection<UInt8>, expected: String) -> String? {
    let head = Array(bytes.prefix(512))
    switch classify(head) {
    case .compressed(let name, let decompressor):
      let example = name == "gzip" ? "zcat FILE | onnxpipe ..." : decompressor
      return "\(name) data: decompress it first (\(example))"
    case .zipArchive: return "a zip archive: extract it first"
    case .arrowStream: return expected == "arrow" ? nil : "an Arrow IPC stream: add --in arrow"
    case .arrowFile:
      return "an Arrow IPC file, not a stream: convert it with pyarrow (ipc.open_file, then ipc.new_stream)"
    case .parquet: return "a Parquet file: convert it to an Arrow stream or CSV first (pyarrow, duckdb)"
    case .ndjson, .jsonArray: return expected == "ndjson" ? nil : "NDJSON text: add --in ndjson"
    case .csv: return expected == "csv" ? nil : "CSV text: add --in csv"
    case .lines: return expected == "lines" ? nil : "text lines: add --in lines (or --in csv, --in ndjson)"
    case nil:
      return expected == "raw" || head.count < 4
        ? nil : "binary data, not text (raw frames are read without --in)"
    }
  }

  /// Whether the stream starting with `bytes` is printable text (UTF-8), which
  /// raw frames never are: their first bytes are a length, then numbers.
  public static func looksLikeText(_ bytes: some Collection<UInt8>) -> Bool {
    switch classify(bytes.prefix(512)) {
    case .ndjson, .jsonArray, .csv, .lines: true
    default: false
    }
  }
}

/// `; the input looks like gzip data: ...` for an error message, or nothing.
func sniffedHint(_ bytes: some Collection<UInt8>, expected: String = "csv") -> String {
  InputSniffer.describe(bytes, expected: expected).map { "; the input looks like \($0)" } ?? ""
}
