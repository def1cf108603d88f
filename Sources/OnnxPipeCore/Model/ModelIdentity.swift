#if canImport(Glibc)
  import Glibc
#endif

/// What names a model file: the first 12 hex digits of its SHA-256, so the
/// same bytes have the same name wherever they are (`--model-field`, the
/// metrics' `onnxpipe_model_info`, `inspect`).
public enum ModelIdentity {
  /// The identity of the file at `path`, or nil when it cannot be read.
  public static func of(path: String) -> String? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var hash = SHA256()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count >= 0 else { return nil }
      if count == 0 { break }
      hash.update(chunk[0..<count])
    }
    return String(SHA256.hexString(hash.finish()).prefix(12))
  }
}
