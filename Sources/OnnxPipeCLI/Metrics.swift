import OnnxPipeCore

#if canImport(Glibc)
  import Glibc
#endif

/// `--metrics FILE`: the run's counters in Prometheus' text exposition
/// format, rewritten every `--metrics-interval` seconds and at exit, for
/// node_exporter's textfile collector. Each write goes to a temporary file in
/// the same directory, then `rename(2)`s over FILE, so a reader never sees a
/// half-written file.
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

  /// Replaces FILE with the metrics as they are now.
  func write() throws(PipeError) {
    let temporary = path + ".tmp.\(getpid())"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw PipeError(.io, "--metrics: cannot create '\(temporary)': \(String(cString: strerror(errno)))")
    }
    let file = FileDescriptor(rawValue: descriptor)
    do {
      try file.writeAll(render())
      close(descriptor)
    } catch {
      close(descriptor)
      unlink(temporary)
      throw PipeError(.io, "--metrics: cannot write '\(temporary)': \(error.message)")
    }
    guard rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw PipeError(.io, "--metrics: cannot rename '\(temporary)' to '\(path)': \(reason)")
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
