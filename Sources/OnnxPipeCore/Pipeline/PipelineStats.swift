import Synchronization

/// Counters the pipeline updates as it runs; safe to read from another thread
/// (the progress line) at any time.
public final class PipelineStats: Sendable {
  /// Rows written.
  public let rows = Atomic<Int>(0)
  /// Records rejected under --on-error skip|null.
  public let rejected = Atomic<Int>(0)
  /// Batches (frames) written.
  public let batches = Atomic<Int>(0)
  /// Input bytes admitted.
  public let bytesIn = Atomic<Int>(0)
  /// Output bytes written.
  public let bytesOut = Atomic<Int>(0)
  /// Input tensors built over the input bytes with no copy (Arrow input).
  public let tensorsBorrowed = Atomic<Int>(0)
  /// Input tensors that had to be copied or converted (Arrow input).
  public let tensorsCopied = Atomic<Int>(0)
  /// Latency from a batch's admission to its bytes being handed to the sink.
  public let latency = Locked(LatencyHistogram())
  /// Rows in each model run (recorded by a `MeteredEngine`, for `--metrics`).
  public let runRows = Locked(RowsHistogram())
  /// Model reloads that took effect, and those that failed (the old model kept serving).
  public let reloads = Atomic<Int>(0)
  public let reloadFailures = Atomic<Int>(0)
  /// The identity (`ModelIdentity`) of the model scoring new batches.
  public let modelIdentity = Locked("")
  /// CPU time of the reader thread (read, split, batch), in nanoseconds; set when it ends.
  public let readerCPUNanoseconds = Atomic<Int>(0)
  /// CPU time the writer spent in its loop (reorder, gather, write), in nanoseconds; set when it ends.
  public let writerCPUNanoseconds = Atomic<Int>(0)
  /// CPU time of every thread of the process while the pipeline ran, in nanoseconds; set when it ends.
  /// Over a stage's own CPU time: the cores at which that serial stage would cap the run.
  public let pipelineCPUNanoseconds = Atomic<Int>(0)

  public init() {}
}

/// Counts of rows per run in power-of-two buckets (1, 2, 4, ... 2^24 and more).
public struct RowsHistogram: Sendable, Equatable {
  /// Upper bounds of the buckets, in rows; a last bucket takes everything above.
  public static let bounds: [Int] = (0...24).map { 1 << $0 }
  public private(set) var counts = [UInt64](repeating: 0, count: bounds.count + 1)
  public private(set) var sum: UInt64 = 0
  public private(set) var count: UInt64 = 0

  public init() {}

  public mutating func record(rows: Int) {
    let bucket = rows <= 1 ? 0 : min(Int.bitWidth - (rows - 1).leadingZeroBitCount, Self.bounds.count)
    counts[bucket] += 1
    sum += UInt64(max(rows, 0))
    count += 1
  }
}

/// A fixed-size log-scale histogram of durations: bounded memory for any
/// number of samples, quantiles within 1/16 of an octave (about 4.4 %).
public struct LatencyHistogram: Sendable, Equatable {
  private static let bucketsPerOctave = 16
  private static let octaves = 48  // 1 ns .. 2^48 ns (~3 days)
  private var counts = [UInt64](repeating: 0, count: bucketsPerOctave * octaves)
  /// Samples recorded.
  public private(set) var count: UInt64 = 0

  public init() {}

  /// Every duration recorded, added up (nanoseconds).
  public private(set) var sumNanoseconds: UInt64 = 0

  /// Records one duration in nanoseconds.
  public mutating func record(nanoseconds: UInt64) {
    counts[Self.bucket(for: nanoseconds)] += 1
    sumNanoseconds &+= nanoseconds
    count += 1
  }

  /// The duration (ns) below which `fraction` of samples fall, or nil with no samples.
  /// Reports each bucket's upper bound, so it never under-states.
  public func quantile(_ fraction: Double) -> UInt64? {
    precondition(fraction >= 0 && fraction <= 1, "quantile \(fraction) outside 0...1")
    guard count > 0 else { return nil }
    let target = max(1, UInt64((Double(count) * fraction).rounded(.up)))
    var seen: UInt64 = 0
    for (index, bucketCount) in counts.enumerated() {
      seen += bucketCount
      if seen >= target { return Self.upperBound(of: index) }
    }
    return Self.upperBound(of: counts.count - 1)
  }

  /// Samples of at most `nanoseconds` (by bucket: within 1/16 of an octave), for a cumulative histogram.
  public func count(atMost nanoseconds: UInt64) -> UInt64 {
    var total: UInt64 = 0
    for (index, bucketCount) in counts.enumerated() where Self.upperBound(of: index) <= nanoseconds {
      total += bucketCount
    }
    return total
  }

  static func bucket(for nanoseconds: UInt64) -> Int {
    let value = Double(max(nanoseconds, 1))
    let index = Int(log2(value) * Double(bucketsPerOctave))
    return min(max(index, 0), bucketsPerOctave * octaves - 1)
  }

  static func upperBound(of bucket: Int) -> UInt64 {
    UInt64(exp2(Double(bucket + 1) / Double(bucketsPerOctave)).rounded(.up))
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Nanoseconds on the monotonic clock (`clock_gettime(CLOCK_MONOTONIC)`).
public func monotonicNanoseconds() -> UInt64 { nanoseconds(CLOCK_MONOTONIC) }

/// CPU time used by every thread of this process so far, in nanoseconds.
public func processCPUNanoseconds() -> UInt64 { nanoseconds(CLOCK_PROCESS_CPUTIME_ID) }

/// CPU time used by the calling thread so far, in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`).
public func threadCPUNanoseconds() -> UInt64 { nanoseconds(CLOCK_THREAD_CPUTIME_ID) }

private func nanoseconds(_ clock: clockid_t) -> UInt64 {
  var now = timespec()
  clock_gettime(clock, &now)
  return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
