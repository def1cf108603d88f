#if canImport(Glibc)
  import Glibc
#endif

/// Why ONNX Runtime refused a file, said in our words: what the file is
/// when it is plainly not a model (a data file given in the model's place),
/// and ONNX Runtime's own message without its source location.
extension ModelLoader {
  /// One line saying what the file at `path` is when it is clearly not an
  /// ONNX model, or nil when it could be one. Only asked after ONNX Runtime
  /// failed to load it.
  static func diagnose(path: String) -> String? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { return nil }
    var prefix = [UInt8](repeating: 0, count: min(Int(info.st_size), 1 << 16))
    var filled = 0
    while filled < prefix.count {
      let count = prefix.withUnsafeMutableBytes {
        pread(descriptor, $0.baseAddress! + filled, $0.count - filled, filled)
      }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { break }
      filled += count
    }
    return diagnose(prefix: Array(prefix.prefix(filled)), fileSize: Int(info.st_size), path: path) { offset in
      var length: UInt32 = 0
      let count = withUnsafeMutableBytes(of: &length) { pread(descriptor, $0.baseAddress!, 4, offset) }
      return count == 4 ? Int(UInt32(littleEndian: length)) : nil
    }
  }

  /// `diagnose(path:)` on the file's first bytes (up to 64 KiB), its size,
  /// and the u32 little-endian value at an offset (nil past the end), read
  /// from `prefix` unless given.
  ///
  /// ONNX models are protobuf `ModelProto` messages, which writers start with
  /// field 1, `ir_version` (tag byte 0x08, then a small varint): that starts
  /// no text, no archive or compressed data and no Arrow stream (0xFFFFFFFF),
  /// and such a start is never taken for raw frames.
  static func diagnose(
    prefix: [UInt8], fileSize: Int, path: String, lengthAt: ((Int) -> Int?)? = nil
  ) -> String? {
    guard fileSize > 0 else { return "the file is empty" }
    for (magic, name) in compressedMagic where prefix.starts(with: magic) {
      return "this is \(name) data, not an ONNX model: decompress it first"
    }
    if prefix.starts(with: Array("PK\u{3}\u{4}".utf8)) {
      return "this is a zip archive, not an ONNX model: extract the model from it first"
    }
    let notAModel = "this is not an ONNX model"
    let stdinHint = { (format: String) in
      "; the data goes on stdin: onnxpipe \(format)MODEL < \(shellQuoted(path))"
    }
    if prefix.starts(with: [0xFF, 0xFF, 0xFF, 0xFF]) {
      return notAModel + " (it looks like an Arrow IPC stream)" + stdinHint("--in arrow ")
    }
    if prefix.starts(with: Array("ARROW1".utf8)) { return notAModel + " (it looks like an Arrow IPC file)" }
    if prefix.starts(with: Array("PAR1".utf8)) { return notAModel + " (it looks like a Parquet file)" }
    if isText(prefix, complete: prefix.count == fileSize) {
      let firstLine = prefix.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        .prefix { $0 != 0x0A }
      switch firstLine.first {
      case UInt8(ascii: "{"): return notAModel + " (it looks like NDJSON)" + stdinHint("--in ndjson ")
      case UInt8(ascii: "["): return notAModel + " (it looks like JSON text)" + stdinHint("--in ndjson ")
      default:
        if firstLine.contains(UInt8(ascii: ",")) {
          return notAModel + " (it looks like CSV text)" + stdinHint("--in csv ")
        }
        return notAModel + " (it looks like text)" + stdinHint("--in lines ")
      }
    }
    let readLength = lengthAt ?? { offset in littleEndianU32(prefix, at: offset) }
    if !startsLikeONNX(prefix), isRawFrames(fileSize: fileSize, lengthAt: readLength) {
      return notAModel + " (it looks like raw tensor frames)" + stdinHint("")
    }
    return nil
  }

  /// Leading bytes of compressed data, and the compressor's name.
  private static let compressedMagic: [([UInt8], String)] = [
    ([0x1F, 0x8B], "gzip"), ([0x28, 0xB5, 0x2F, 0xFD], "zstd"), ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz"),
    (Array("BZh".utf8), "bzip2"),
  ]

  /// Whether `bytes` are UTF-8 text without control characters other than
  /// tab, line feed, form feed and carriage return. When they are only the
  /// file's start, a character cut at the end is allowed.
  static func isText(_ bytes: [UInt8], complete: Bool) -> Bool {
    guard !bytes.contains(where: { ($0 < 0x20 && ![0x09, 0x0A, 0x0C, 0x0D].contains($0)) || $0 == 0x7F })
    else {
      return false
    }
    for cut in 0...(complete ? 0 : min(3, bytes.count)) {
      if String(validating: bytes.dropLast(cut), as: UTF8.self) != nil { return true }
    }
    return false
  }

  /// Whether the file is a chain of raw frames, each a u32 little-endian
  /// length (`lengthAt` an offset) and that many bytes, that ends exactly at
  /// `fileSize`; after 4096 frames that each fit, it is taken to be one.
  static func isRawFrames(fileSize: Int, lengthAt: (Int) -> Int?) -> Bool {
    var offset = 0
    for _ in 0..<4096 {
      guard let length = lengthAt(offset) else { return false }
      offset += 4 + length
      guard offset <= fileSize else { return false }
      if offset == fileSize { return true }
    }
    return true
  }

  /// Whether `bytes` start as ONNX writers start a `ModelProto`: `ir_version`
  /// (tag 0x08, a version from 1 to 20), then the tag of another of its fields.
  static func startsLikeONNX(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 3 && bytes[0] == 0x08 && (1...20).contains(bytes[1])
      && [0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x52].contains(bytes[2])
  }

  /// The u32 little-endian value at `offset` in `bytes`, or nil past the end.
  static func littleEndianU32(_ bytes: [UInt8], at offset: Int) -> Int? {
    guard offset >= 0, offset + 4 <= bytes.count else { return nil }
    return Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16
      | Int(bytes[offset + 3]) << 24
  }

  /// `path` as a shell word: unchanged when it is plain, else single-quoted.
  static func shellQuoted(_ path: String) -> String {
    let plain = path.utf8.allSatisfy { byte in
      (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        || "/._-+,:@%".utf8.contains(byte)
    }
    return plain && !path.isEmpty
      ? path
      : "'"
        + path.split(separator: "'", omittingEmptySubsequences: false)
        .joined(separator: "'\\''") + "'"
  }
}
