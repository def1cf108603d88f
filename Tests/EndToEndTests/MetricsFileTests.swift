import Foundation
import Testing

/// `--metrics FILE` by what is at FILE: a regular file or no file is replaced
/// by a rename, a symlink's target is (the link stays), a FIFO is written in
/// place (it stays a FIFO), a directory is refused.
@Suite struct MetricsFileTests {
  let model = fixture("models/logreg.onnx")
  let records = Array(String(repeating: "{\"X\":[1,2,3,4]}\n", count: 3).utf8)

  /// A fresh directory, removed by the caller.
  func folder() throws -> String {
    let path = NSTemporaryDirectory() + "onnxpipe-metrics-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// The file type bits of what is at `path` itself (not following a symlink).
  func type(_ path: String) -> mode_t? {
    var info = stat()
    return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
  }

  func score(metrics: String) throws -> RunResult {
    try run(
      ["--in", "ndjson", "--metrics", metrics, "--metrics-interval", "3600", model], input: records)
  }

  @Test func aSymlinkStaysALinkAndItsTargetGetsTheMetrics() throws {
    let directory = try folder()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // The textfile collector's directory elsewhere, reached through a relative link.
    try FileManager.default.createDirectory(
      atPath: directory + "/textfile", withIntermediateDirectories: false)
    try Data("old\n".utf8).write(to: URL(fileURLWithPath: directory + "/textfile/onnxpipe.prom"))
    #expect(symlink("textfile/onnxpipe.prom", directory + "/link.prom") == 0)

    let result = try score(metrics: directory + "/link.prom")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr == "")
    #expect(type(directory + "/link.prom") == S_IFLNK)
    #expect(
      try FileManager.default.destinationOfSymbolicLink(atPath: directory + "/link.prom")
        == "textfile/onnxpipe.prom")
    let text = try String(contentsOfFile: directory + "/textfile/onnxpipe.prom", encoding: .utf8)
    #expect(text.hasPrefix("# HELP onnxpipe_records_total "))
    #expect(text.contains("\nonnxpipe_records_total{outcome=\"scored\"} 3\n"))
    // The temporary file was made beside the target and renamed: nothing is left over.
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["link.prom", "textfile"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/textfile") == ["onnxpipe.prom"])
  }

  /// A link whose target does not exist yet (a first run): the target is created, the link stays.
  @Test func aDanglingSymlinkGetsItsTargetCreated() throws {
    let directory = try folder()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    #expect(symlink(directory + "/target.prom", directory + "/link.prom") == 0)

    let result = try score(metrics: directory + "/link.prom")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(type(directory + "/link.prom") == S_IFLNK)
    #expect(type(directory + "/target.prom") == S_IFREG)
    let text = try String(contentsOfFile: directory + "/target.prom", encoding: .utf8)
    #expect(text.contains("\nonnxpipe_records_total{outcome=\"scored\"} 3\n"))
  }

  /// The FIFO's read end is open (non-blocking) before the run, so both writes (at start-up
  /// and at exit) find a reader; the pipe holds them (about 3.5 KB each) until read after it.
  @Test func aFIFOIsWrittenInPlaceAndStaysAFIFO() throws {
    let directory = try folder()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let fifo = directory + "/metrics.fifo"
    #expect(mkfifo(fifo, 0o600) == 0)
    let reader = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    try #require(reader >= 0)
    defer { close(reader) }

    let result = try score(metrics: fifo)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr == "")
    #expect(type(fifo) == S_IFIFO)
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = read(reader, &buffer, buffer.count)
      if count <= 0 { break }  // 0: no writer and nothing left; -1 EAGAIN: nothing left
      received += buffer[..<count]
    }
    let text = String(decoding: received, as: UTF8.self)
    #expect(text.components(separatedBy: "# HELP onnxpipe_records_total ").count == 3)
    #expect(text.contains("\nonnxpipe_records_total{outcome=\"scored\"} 0\n"))
    #expect(text.hasPrefix("# HELP onnxpipe_records_total "))
    #expect(text.contains("\nonnxpipe_records_total{outcome=\"scored\"} 3\n"))
    #expect(text.hasSuffix("\n"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["metrics.fifo"])
  }

  @Test func aDirectoryIsRefusedAndAMissingDirectoryIsAnIOError() throws {
    let directory = try folder()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let refused = try score(metrics: directory)
    #expect(refused.status == 64)
    #expect(refused.stdout.isEmpty)
    #expect(
      refused.stderr
        == "onnxpipe: --metrics: '\(directory)' is a directory; give a regular file's path (or a FIFO or character device, written in place)\nSee 'onnxpipe --help'.\n"
    )

    let missing = try score(metrics: directory + "/none/onnxpipe.prom")
    #expect(missing.status == 74)
    #expect(
      missing.stderr.hasPrefix(
        "onnxpipe: --metrics: cannot create '\(directory)/none/onnxpipe.prom.tmp."))
    #expect(missing.stderr.hasSuffix(": No such file or directory\n"))
  }
}
