import OnnxPipeCore

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
    let notAModel = "this is not an ONNX model"
    let stdinHint = { (format: String) in
      "; the data goes on stdin: onnxpipe \(format)MODEL < \(shellQuoted(path))"
    }
    switch InputSniffer.classify(prefix, complete: prefix.count == fileSize) {
    case .compressed(let name, _): return "this is \(name) data, not an ONNX model: decompress it first"
    case .zipArchive: return "this is a zip archive, not an ONNX model: extract the model from it first"
    case .arrowStream: return notAModel + " (it looks like an Arrow IPC stream)" + stdinHint("--in arrow ")
    case .arrowFile: return notAModel + " (it looks like an Arrow IPC file)"
    case .parquet: return notAModel + " (it looks like a Parquet file)"
    case .ndjson: return notAModel + " (it looks like NDJSON)" + stdinHint("--in ndjson ")
    case .jsonArray: return notAModel + " (it looks like JSON text)" + stdinHint("--in ndjson ")
    case .csv: return notAModel + " (it looks like CSV text)" + stdinHint("--in csv ")
    case .lines: return notAModel + " (it looks like text)" + stdinHint("--in lines ")
    case nil: break
    }
    let readLength = lengthAt ?? { offset in littleEndianU32(prefix, at: offset) }
    if !startsLikeONNX(prefix), isRawFrames(fileSize: fileSize, lengthAt: readLength) {
      return notAModel + " (it looks like raw tensor frames)" + stdinHint("")
    }
    return nil
  }

  /// Whether `bytes` are text (`InputSniffer.isText`).
  static func isText(_ bytes: [UInt8], complete: Bool) -> Bool {
    InputSniffer.isText(bytes, complete: complete)
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
