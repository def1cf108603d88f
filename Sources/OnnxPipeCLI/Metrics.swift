import OnnxPipeCore

#if canImport(Glibc)
  import Glibc
#endif

/// `--metrics FILE`: the run's counters in Prometheus' text exposition
/// format, rewritten every `--metrics-interval` seconds and at exit, for
/// node_exporter's textfile collector. Each write goes to a temporary file in
/// the same directory, then `rename(2)`s over FILE, so a reader never sees a
/// half-written file. A symlink at FILE is followed (the rename replaces the
/// file it names, and the link stays); a FIFO or character device at FILE is
/// written in place, since renaming over it would replace it with a regular
/// file; anything else that is not a regular file is refused.
final class MetricsFile: Sendable {
  let path: String
  let interval: Double
  let stats: PipelineStats
  let modelPath: String
  /// Batches in flight now, when a pipeline runs.
  let inFlight: @Sendable () -> Int

  /// Latency bucket bounds, in seconds.
  static let latencyBounds: [Double] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
  ]

  init(
    path: String, interval: Double, stats: PipelineStats, modelPath: String,
    inFlight: @escaping @Sendable () -> Int
  ) {
    self.path = path
    self.interval = interval
    self.stats = stats
    self.modelPath = modelPath
    self.inFlight = inFlight
  }

  /// Writes now, then every `interval` seconds on a thread of its own.
  func start() throws(PipeError) {
    try write()
    let nanoseconds = UInt64(interval * 1e9)
    OwnedThread { [self] in
      while true {
        var pause = timespec(
          tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var left = timespec()
        while nanosleep(&pause, &left) != 0 && errno == EINTR { pause = left }
        try? write()
      }
    }.detach()
  }

  /// Replaces FILE with the metrics as they are now (or writes them into it: `destination(of:)`).
  func write() throws(PipeError) {
    let file: String
    switch try Self.destination(of: path) {
    case .inPlace(let fifo):
      try writeInPlace(fifo: fifo)
      return
    case .replace(let target): file = target
    }
    let temporary = file + ".tmp.\(getpid())"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw PipeError(.io, "--metrics: cannot create '\(temporary)': \(String(cString: strerror(errno)))")
    }
    let output = FileDescriptor(rawValue: descriptor)
    do {
      try output.writeAll(render())
      close(descriptor)
    } catch {
      close(descriptor)
      unlink(temporary)
      throw PipeError(.io, "--metrics: cannot write '\(temporary)': \(error.message)")
    }
    guard rename(temporary, file) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw PipeError(.io, "--metrics: cannot rename '\(temporary)' to '\(file)': \(reason)")
    }
  }

  /// Where `write` puts the metrics.
  enum Destination: Equatable {
    /// A regular file, or no file yet, at this path (symlinks resolved):
    /// written beside it and renamed over it.
    case replace(String)
    /// A FIFO (`true`) or a character device at FILE: opened and written as it is.
    case inPlace(fifo: Bool)
  }

  /// What is at `path`, following symlinks: a regular or missing file is
  /// replaced by a rename in its own directory (through a symlink, the file it
  /// names: the link stays a link), a FIFO or a character device is written
  /// in place, and anything else is a usage error.
  static func destination(of path: String) throws(PipeError) -> Destination {
    var info = stat()
    guard stat(path, &info) == 0 else {
      let reason = errno
      if reason == ELOOP {  // renaming over the link would break the loop by replacing it: say so instead
        throw PipeError(.io, "--metrics: cannot follow '\(path)': \(String(cString: strerror(reason)))")
      }
      // Missing (or unreadable: the create then says why). A dangling symlink names the file to create.
      return .replace(danglingTarget(path) ?? path)
    }
    switch info.st_mode & S_IFMT {
    case S_IFREG:
      var link = stat()
      guard lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK, let real = realpath(path, nil) else {
        return .replace(path)
      }
      defer { free(real) }
      return .replace(String(cString: real))
    case S_IFIFO: return .inPlace(fifo: true)
    case S_IFCHR: return .inPlace(fifo: false)
    default:
      let what = [S_IFDIR: "a directory", S_IFBLK: "a block device", S_IFSOCK: "a socket"][
        info.st_mode & S_IFMT, default: "not a regular file"]
      throw PipeError(
        .usage,
        "--metrics: '\(path)' is \(what); give a regular file's path (or a FIFO or character device, written in place)"
      )
    }
  }

  /// The path a chain of symlinks at `path` ends at when its last link
  /// names no file yet, or nil when `path` is not a symlink.
  static func danglingTarget(_ path: String) -> String? {
    var current = path
    for _ in 0..<40 {  // Linux's own limit on links followed (ELOOP)
      var info = stat()
      guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else {
        return current == path ? nil : current
      }
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let count = readlink(current, &buffer, buffer.count - 1)
      guard count > 0 else { return nil }
      let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      if target.hasPrefix("/") {
        current = target
      } else if let slash = current.lastIndex(of: "/") {
        current = String(current[...slash]) + target
      } else {
        current = target
      }
    }
    return nil
  }

  /// Writes the metrics into the FIFO or device at FILE (no create, no
  /// rename). A FIFO nobody has open for reading gets nothing this time,
  /// rather than hold up the run (or its exit) until a reader comes.
  private func writeInPlace(fifo: Bool) throws(PipeError) {
    let descriptor = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | (fifo ? O_NONBLOCK : 0))
    if descriptor < 0 && fifo && errno == ENXIO { return }  // no reader now
    guard descriptor >= 0 else {
      throw PipeError(.io, "--metrics: cannot open '\(path)': \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    // Blocking writes from here: the text goes out whole even when the reader is slower.
    if fifo { _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK) }
    do {
      try FileDescriptor(rawValue: descriptor).writeAll(render())
    } catch {
      throw PipeError(.io, "--metrics: cannot write '\(path)': \(error.message)")
    }
  }

  /// The exposition text.
  func render() -> String {
    var out = ""
    func family(_ name: String, _ type: String, _ help: String) {
      out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }
    family("onnxpipe_records_total", "counter", "Records read, by what became of them.")
    out += "onnxpipe_records_total{outcome=\"scored\"} \(stats.rows.load(ordering: .relaxed))\n"
    out += "onnxpipe_records_total{outcome=\"rejected\"} \(stats.rejected.load(ordering: .relaxed))\n"
    family("onnxpipe_batches_total", "counter", "Batches (frames, record batches) written.")
    out += "onnxpipe_batches_total \(stats.batches.load(ordering: .relaxed))\n"
    family(
      "onnxpipe_input_bytes_total", "counter",
      "Input bytes admitted (frames, messages, records without line ends).")
    out += "onnxpipe_input_bytes_total \(stats.bytesIn.load(ordering: .relaxed))\n"
    family("onnxpipe_output_bytes_total", "counter", "Output bytes written.")
    out += "onnxpipe_output_bytes_total \(stats.bytesOut.load(ordering: .relaxed))\n"
    family("onnxpipe_model_reloads_total", "counter", "Model reloads (SIGHUP, --watch), by result.")
    out += "onnxpipe_model_reloads_total{result=\"ok\"} \(stats.reloads.load(ordering: .relaxed))\n"
    out +=
      "onnxpipe_model_reloads_total{result=\"failed\"} \(stats.reloadFailures.load(ordering: .relaxed))\n"
    family("onnxpipe_batches_in_flight", "gauge", "Batches read and not yet written.")
    out += "onnxpipe_batches_in_flight \(inFlight())\n"
    family(
      "onnxpipe_model_info", "gauge", "The model scoring new batches: its file and identity (SHA-256 prefix)."
    )
    let identity = stats.modelIdentity.withLock { $0 }
    out += "onnxpipe_model_info{identity=\"\(Self.label(identity))\",path=\"\(Self.label(modelPath))\"} 1\n"
    let rows = stats.runRows.withLock { $0 }
    family(
      "onnxpipe_run_rows", "histogram",
      "Rows per model run (a batch's; a fixed-size model runs them k at a time).")
    var cumulative: UInt64 = 0
    for (bound, count) in zip(RowsHistogram.bounds, rows.counts) {
      cumulative += count
      out += "onnxpipe_run_rows_bucket{le=\"\(bound)\"} \(cumulative)\n"
    }
    out += "onnxpipe_run_rows_bucket{le=\"+Inf\"} \(rows.count)\n"
    out += "onnxpipe_run_rows_sum \(rows.sum)\nonnxpipe_run_rows_count \(rows.count)\n"
    let latency = stats.latency.withLock { $0 }
    family("onnxpipe_batch_latency_seconds", "histogram", "From a batch's admission to its output written.")
    for bound in Self.latencyBounds {
      out +=
        "onnxpipe_batch_latency_seconds_bucket{le=\"\(bound)\"} \(latency.count(atMost: UInt64(bound * 1e9)))\n"
    }
    out += "onnxpipe_batch_latency_seconds_bucket{le=\"+Inf\"} \(latency.count)\n"
    out += "onnxpipe_batch_latency_seconds_sum \(Double(latency.sumNanoseconds) / 1e9)\n"
    out += "onnxpipe_batch_latency_seconds_count \(latency.count)\n"
    return out
  }

  /// A label value with `\`, `"` and newlines escaped.
  static func label(_ value: String) -> String {
    var out = ""
    for character in value {
      switch character {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n": out += "\\n"
      default: out.append(character)
      }
    }
    return out
  }
}
