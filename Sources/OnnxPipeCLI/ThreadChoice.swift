import OnnxPipeCore
import OnnxRuntime

/// `--workers auto` / `--intra-threads auto`: many single-threaded workers
/// sharing one session, or one worker whose runs spread over every core
/// inside the operators (which wins for large matrix products). Both are
/// measured on synthetic rows for about 0.1 s each; the model is loaded once
/// for each setting and the one not chosen is released.
enum ThreadChoice {
  struct Choice {
    let session: Session
    let workers: Int
    let intraThreads: Int
  }

  static func choose(_ options: ScoreOptions) throws(PipeError) -> Choice {
    let cores = onlineProcessors()
    let single = try ModelLoader.load(
      path: options.modelPath, intraThreads: 1, optimization: options.optimization)
    guard cores > 1,
      let format = try? RawFormat(
        signature: OrtEngine(session: single).signature, pinnedDimensions: options.pinnedDimensions),
      format.inputRowBytes != nil
    else { return Choice(session: single, workers: cores, intraThreads: 1) }
    let threaded = try ModelLoader.load(
      path: options.modelPath, intraThreads: cores, optimization: options.optimization)
    let spread = try rowsPerSecond(single, format: format, workers: cores)
    let inside = try rowsPerSecond(threaded, format: format, workers: 1)
    return inside > spread
      ? Choice(session: threaded, workers: 1, intraThreads: cores)
      : Choice(session: single, workers: cores, intraThreads: 1)
  }

  /// Rows/s at 256 rows per run on `workers` threads, measured for about 0.1 s.
  private static func rowsPerSecond(_ session: Session, format: RawFormat, workers: Int) throws(PipeError)
    -> Double
  {
    let batch = 256
    let probe = try BenchCommand.measure(
      session: session, format: format, rows: batch * workers, batch: batch, workers: workers)
    let runs = max(2 * workers, Int(0.1 / max(probe.seconds, 1e-6)) * workers)
    return try BenchCommand.measure(
      session: session, format: format, rows: runs * batch, batch: batch, workers: workers
    ).rowsPerSecond
  }
}
