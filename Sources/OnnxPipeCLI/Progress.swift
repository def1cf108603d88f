import OnnxPipeCore
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The live status line (`--progress`) and the final summary (`--stats`).
final class ProgressReporter: Sendable {
  private let stats: PipelineStats
  private let started: UInt64
  private let running = Atomic<Bool>(true)
  private let finished = Locked<Bool>(false)
  /// Settings chosen at start-up, for the summary (` batch_rows=4096`).
  private let settings = Locked<String>("")

  init(stats: PipelineStats, started: UInt64) {
    self.stats = stats
    self.started = started
  }

  /// Adds ` key=value` to the summary line.
  func note(_ key: String, _ value: String) {
    settings.withLock { $0 += " \(key)=\(value)" }
  }

  /// Redraws the status line on stderr every 250 ms until `stop()`.
  func startLiveLine() {
    OwnedThread { [self] in
      while running.load(ordering: .relaxed) {
        usleep(250_000)
        finished.withLock { done in
          guard !done else { return }
          try? FileDescriptor.standardError.writeAll("\r\u{1B}[K" + statusLine())
        }
      }
    }.detach()
  }

  /// Stops the live line and erases it.
  func stop(erase: Bool) {
    running.store(false, ordering: .relaxed)
    finished.withLock { done in
      done = true
      if erase { try? FileDescriptor.standardError.writeAll("\r\u{1B}[K") }
    }
  }

  /// `12.3 k rows  5 batches  40.1 k rows/s  1.2 MB/s in  0.3 s` (a batch: a frame, a record batch, or records)
  func statusLine() -> String {
    let seconds = max(Double(monotonicNanoseconds() - started) / 1e9, 1e-9)
    let rows = stats.rows.load(ordering: .relaxed)
    let batches = stats.batches.load(ordering: .relaxed)
    let bytesIn = stats.bytesIn.load(ordering: .relaxed)
    return "\(Format.si(Double(rows)))rows  \(batches) batches  \(Format.si(Double(rows) / seconds))rows/s  "
      + "\(Format.fixed(Double(bytesIn) / seconds / 1e6, 1)) MB/s in  \(Format.fixed(seconds, 1)) s"
  }

  /// One machine-readable summary line for `--stats`.
  func summaryLine() -> String {
    let nanoseconds = monotonicNanoseconds() - started
    let seconds = max(Double(nanoseconds) / 1e9, 1e-9)
    let rows = stats.rows.load(ordering: .relaxed)
    let (p50, p99) = stats.latency.withLock { ($0.quantile(0.5) ?? 0, $0.quantile(0.99) ?? 0) }
    return "onnxpipe: stats: rows=\(rows) rejected=\(stats.rejected.load(ordering: .relaxed))"
      + " batches=\(stats.batches.load(ordering: .relaxed))"
      + " bytes_in=\(stats.bytesIn.load(ordering: .relaxed)) bytes_out=\(stats.bytesOut.load(ordering: .relaxed))"
      + " seconds=\(Format.fixed(seconds, 3)) rows_per_s=\(Format.fixed(Double(rows) / seconds, 0))"
      + " mb_in_per_s=\(Format.fixed(Double(stats.bytesIn.load(ordering: .relaxed)) / seconds / 1e6, 1))"
      + " batch_latency_p50_ms=\(Format.milliseconds(p50)) batch_latency_p99_ms=\(Format.milliseconds(p99))"
      + tensorCounts + settings.withLock { $0 } + stageTimes + " peak_rss_kb=\(peakResidentKilobytes())\n"
  }

  /// ` pipeline_cpu_s=T reader_cpu_s=R writer_cpu_s=W`: CPU seconds of the whole run and of its
  /// two serial stages; T / R and T / W are the cores at which the reader or the writer would cap it.
  /// Measured as the run ends: a line printed before (SIGUSR1) leaves them out rather than say 0.
  private var stageTimes: String {
    func seconds(_ counter: borrowing Atomic<Int>) -> String {
      Format.fixed(Double(counter.load(ordering: .relaxed)) / 1e9, 6)
    }
    guard stats.pipelineCPUNanoseconds.load(ordering: .relaxed) > 0 else { return "" }
    return " pipeline_cpu_s=\(seconds(stats.pipelineCPUNanoseconds))"
      + " reader_cpu_s=\(seconds(stats.readerCPUNanoseconds)) writer_cpu_s=\(seconds(stats.writerCPUNanoseconds))"
  }

  /// ` tensors_borrowed=N tensors_copied=M`, for inputs that count them (Arrow).
  private var tensorCounts: String {
    let borrowed = stats.tensorsBorrowed.load(ordering: .relaxed)
    let copied = stats.tensorsCopied.load(ordering: .relaxed)
    return borrowed + copied == 0 ? "" : " tensors_borrowed=\(borrowed) tensors_copied=\(copied)"
  }
}

/// The process's peak resident set size in KiB: `VmHWM` from /proc/self/status.
///
/// Not getrusage's ru_maxrss: Linux carries that over exec(2), so it would
/// report the peak of whatever process forked us (a Python harness, say).
func peakResidentKilobytes() -> Int {
  guard let file = fopen("/proc/self/status", "r") else { return -1 }
  defer { fclose(file) }
  var line = [CChar](repeating: 0, count: 256)
  while fgets(&line, Int32(line.count), file) != nil {
    let text = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    if text.hasPrefix("VmHWM:") {
      return Int(text.dropFirst(6).filter(\.isNumber)) ?? -1
    }
  }
  return -1
}
