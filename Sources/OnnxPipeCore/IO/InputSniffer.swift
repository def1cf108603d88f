/// Guesses what a stream is from its first bytes, to turn "frame length too
/// large" or "header is not UTF-8" into what the user can act on: the input
/// is compressed, or is another format than the one `--in` names.
public enum InputSniffer {
  /// What the stream starting with `bytes` looks like and what to do, or nil
  /// when it looks like nothing we know or like `expected`, the `--in` format in force.
  public static func describe(_ bytes: some Collection<UInt8>, expected: String) -> String? {
    let head = Array(bytes.prefix(512))
    if let compressed = compression(head) { return compressed }
    if head.starts(with: [0xFF, 0xFF, 0xFF, 0xFF]) && expected != "arrow" {
      return "an Arrow IPC stream: add --in arrow"
    }
    if head.starts(with: Array("ARROW1".utf8)) {
      return "an Arrow IPC file, not a stream: convert it with pyarrow (ipc.open_file, then ipc.new_stream)"
    }
    if head.starts(with: Array("PAR1".utf8)) {
      return "a Parquet file: convert it to an Arrow stream or CSV first (pyarrow, duckdb)"
    }
    guard let text = textKind(head) else {
      return expected == "raw" || head.count < 4
        ? nil : "binary data, not text (raw frames are read without --in)"
    }
    guard text != expected else { return nil }
    switch text {
    case "ndjson": return "NDJSON text: add --in ndjson"
    case "csv": return "CSV text: add --in csv"
    default: return "text lines: add --in lines (or --in csv, --in ndjson)"
    }
  }

  /// Whether the stream starting with `bytes` is printable text (UTF-8), which
  /// raw frames never are: their first bytes are a length, then numbers.
  public static func looksLikeText(_ bytes: some Collection<UInt8>) -> Bool {
    textKind(Array(bytes.prefix(512))) != nil
  }

  /// Compressed data, which no format reads as it is.
  static func compression(_ head: [UInt8]) -> String? {
    if head.starts(with: [0x1F, 0x8B]) { return "gzip data: decompress it first (zcat FILE | onnxpipe ...)" }
    if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return "zstd data: decompress it first (zstdcat)" }
    if head.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) {
      return "xz data: decompress it first (xzcat)"
    }
    if head.starts(with: Array("BZh".utf8)), head.count > 3, (0x31...0x39).contains(head[3]) {
      return "bzip2 data: decompress it first (bzcat)"
    }
    return nil
  }

  /// `ndjson`, `csv` or `lines` when the head is printable text, else nil.
  static func textKind(_ head: [UInt8]) -> String? {
    var body = head[...]
    if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
    guard !body.isEmpty else { return nil }
    // Text: no control bytes but tab, CR, LF, and valid UTF-8 (but for a character cut at the end).
    guard body.allSatisfy({ $0 >= 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else { return nil }
    var valid = body
    for _ in 0..<3 where String(validating: valid, as: UTF8.self) == nil && (valid.last ?? 0) >= 0x80 {
      valid = valid.dropLast()
    }
    guard String(validating: valid, as: UTF8.self) != nil else { return nil }
    let firstLine = body.prefix(while: { $0 != 0x0A })
    let start = firstLine.drop(while: { $0 == 0x20 || $0 == 0x09 })
    if start.first == UInt8(ascii: "{") || start.first == UInt8(ascii: "[") { return "ndjson" }
    if firstLine.contains(UInt8(ascii: ",")) { return "csv" }
    return "lines"
  }
}

/// `; the input looks like gzip data: ...` for an error message, or nothing.
func sniffedHint(_ bytes: some Collection<UInt8>, expected: String = "csv") -> String {
  InputSniffer.describe(bytes, expected: expected).map { "; the input looks like \($0)" } ?? ""
}
