import OnnxPipeCore
import OnnxRuntime

extension BenchCommand {
  /// One measured setting of `--sweep`.
  struct SweepPoint {
    let workers: Int
    let intraThreads: Int
    let batch: Int
    let rowsPerSecond: Double
  }

  /// `onnxpipe bench --sweep MODEL`: rows/s over workers x intra-op threads x
  /// rows per run, each measured for about a quarter of a second, and the best.
  static func sweep(_ parsed: ParsedArguments, path: String) throws(PipeError) -> String {
    let cores = onlineProcessors()
    let pinned = try dimensions(parsed)
    let optimization = try optimizationLevel(parsed)
    var points: [SweepPoint] = []
    for intra in Array(Set([1, cores])).sorted() {
      let session = try ModelLoader.load(path: path, intraThreads: intra, optimization: optimization)
      let format = try RawFormat(signature: OrtEngine(session: session).signature, pinnedDimensions: pinned)
      for workers in Array(Set([1, cores, 2 * cores])).sorted() where workers * intra <= 2 * cores {
        for batch in [16, 256, 4096, 65536] {
          // Calibrate with one run per worker, then measure for ~0.25 s.
          let probe = try measure(
            session: session, format: format, rows: batch * workers, batch: batch, workers: workers)
          let runs = max(2 * workers, Int(0.25 / max(probe.seconds, 1e-6)) * workers)
          let result = try measure(
            session: session, format: format, rows: runs * batch, batch: batch, workers: workers)
          points.append(
            SweepPoint(
              workers: workers, intraThreads: intra, batch: batch, rowsPerSecond: result.rowsPerSecond))
        }
      }
    }
    let best = points.max { $0.rowsPerSecond < $1.rowsPerSecond }!
    if parsed.has("json") {
      let items = points.map {
        "{\"workers\":\($0.workers),\"intra_threads\":\($0.intraThreads),\"batch\":\($0.batch),"
          + "\"rows_per_s\":\(Format.fixed($0.rowsPerSecond, 0))}"
      }
      return "{\"model\":\(JSON.string(path)),\"points\":[\(items.joined(separator: ","))],"
        + "\"best\":{\"workers\":\(best.workers),\"intra_threads\":\(best.intraThreads),\"batch\":\(best.batch)}}\n"
    }
    var lines = ["workers  intra-threads  batch   rows/s"]
    for point in points {
      lines.append(
        pad(String(point.workers), 7) + "  " + pad(String(point.intraThreads), 13) + "  "
          + pad(String(point.batch), 5) + "   " + Format.si(point.rowsPerSecond))
    }
    lines.append(
      "best: -j \(best.workers) --intra-threads \(best.intraThreads), \(best.batch) rows per run: "
        + "\(Format.si(best.rowsPerSecond))rows/s")
    return lines.joined(separator: "\n") + "\n"
  }

  private static func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(width - text.count, 0)) + text
  }
}
