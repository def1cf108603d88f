import Synchronization

/// Measures a model's speed at several rows per run, to choose the batch that
/// raw frames are merged or cut to (`--batch-rows auto`), and checks that the
/// outputs do not depend on how rows are batched.
public struct BatchCalibration: Sendable, Equatable {
  /// Rows per run and the rows per second measured at that size.
  public struct Point: Sendable, Equatable {
    public let rows: Int
    public let rowsPerSecond: Double
  }

  public let points: [Point]
  /// Whether each row's outputs came out byte for byte the same alone and in a batch.
  public let batchInvariant: Bool

  /// The largest size within 5 % of the most rows per second. Timings on a
  /// shared machine wobble by that much, and the two ways to be wrong differ:
  /// too small a size cuts frames into runs that each pay the per-run cost,
  /// too large one only loses some cache.
  public var bestRows: Int {
    BatchSizeTuner.choose(points.map(\.rows), points.map(\.rowsPerSecond), tolerance: 0.05) ?? 1
  }

  /// The sizes measured by default.
  public static let sizes = [1, 8, 64, 512, 4096]

  /// Runs `engine` on synthetic rows of `format` at each of `sizes` on
  /// `workers` threads at once, as the pipeline will (so caches are shared as
  /// they will be), within about `budgetNanoseconds` in all. The sizes take
  /// turns over `rounds` rounds and each keeps its best round: a stall on a
  /// shared machine then costs one round of one size, not the choice.
  public static func measure(
    engine: any InferenceEngine, format: RawFormat, workers: Int = 1, sizes: [Int] = sizes, rounds: Int = 3,
    budgetNanoseconds: UInt64 = 60_000_000
  ) throws -> BatchCalibration {
    guard format.inputRowBytes != nil, !sizes.isEmpty else {
      throw PipeError(.model, "calibration needs a model whose inputs are all numeric")
    }
    let share = budgetNanoseconds / UInt64(max(sizes.count * rounds, 1))
    let inputs = sizes.map { syntheticRows(format, count: $0) }
    // The first run at each size allocates: not timed (but the largest, whose runs are long
    // next to the allocation, and which costs the most to run twice).
    for rows in inputs.dropLast() { _ = try rows.withUnsafeBytes { try run(engine, format, $0) } }
    var best = [Double](repeating: 0, count: sizes.count)
    for round in 0..<max(rounds, 1) {
      for (position, size) in sizes.enumerated() {
        // A size whose one run outlasts two rounds' share was timed long enough the first time.
        if round > 0 && Double(size) / best[position] * 1e9 > Double(2 * share) { continue }
        best[position] = max(best[position], try rate(engine, format, inputs[position], size, workers, share))
      }
    }
    let points = zip(sizes, best).map { Point(rows: $0, rowsPerSecond: $1) }
    return BatchCalibration(
      points: points, batchInvariant: try isBatchInvariant(engine: engine, format: format))
  }

  /// Whether each of `count` synthetic rows comes out byte for byte the same
  /// scored alone as scored with the others in one run, and (when `largest`
  /// is more than `count`) as the first rows of a run of `largest`: merging
  /// frames, or batching records by arrival, is only safe when they agree.
  public static func isBatchInvariant(
    engine: any InferenceEngine, format: RawFormat, count: Int = 64, largest: Int = 0
  ) throws -> Bool {
    guard format.inputRowBytes != nil, count > 0 else {
      throw PipeError(.model, "calibration needs a model whose inputs are all numeric")
    }
    let together = syntheticRows(format, count: count)
    var runs = [try together.withUnsafeBytes { try run(engine, format, $0) }]
    if largest > count {
      // The same rows lead a longer run: the generator gives the same values first.
      let outputs = try syntheticRows(format, count: largest).withUnsafeBytes { try run(engine, format, $0) }
      try requirePerRow(outputs, rows: largest)
      runs.append(outputs.map { $0.rows(0..<count) })
    }
    try requirePerRow(runs[0], rows: count)
    for row in 0..<count {
      // A frame holds each input's rows in turn: gather this row's part of each.
      var alone: [UInt8] = []
      var start = 0
      for slot in format.inputs {
        let width = slot.rowBytes!
        alone += together[(start + row * width)..<(start + (row + 1) * width)]
        start += width * count
      }
      let single = try alone.withUnsafeBytes { try run(engine, format, $0) }
      for outputs in runs {
        guard zip(single, outputs).allSatisfy({ $0 == $1.rows(row..<row + 1) }) else { return false }
      }
    }
    return true
  }

  /// Throws unless every output has one row per input row (an output that
  /// is not per row cannot be compared row by row).
  private static func requirePerRow(_ outputs: [OutputTensor], rows: Int) throws(PipeError) {
    if let output = outputs.first(where: { $0.rowCount != rows }) {
      throw PipeError(
        .model, "an output has \(output.rowCount) rows for \(rows) input rows: not per row, so not comparable"
      )
    }
  }

  /// Whether `engine`'s rows come out the same alone and in runs of up to
  /// `largest` rows (see `isBatchInvariant`), or nil when that cannot be
  /// checked: inputs that are not all numeric tensors of known row size.
  public static func batchInvariance(
    engine: any InferenceEngine, pinnedDimensions: [String: Int], largest: Int = 0
  ) -> Bool? {
    guard let format = try? RawFormat(signature: engine.signature, pinnedDimensions: pinnedDimensions),
      format.inputRowBytes != nil
    else { return nil }
    return try? isBatchInvariant(engine: engine, format: format, largest: largest)
  }

  /// Rows/s of `workers` threads each running `rows` (`size` rows) for about
  /// `share` nanoseconds (at least once each).
  private static func rate(
    _ engine: any InferenceEngine, _ format: RawFormat, _ rows: [UInt8], _ size: Int, _ workers: Int,
    _ share: UInt64
  ) throws -> Double {
    let runs = Locked<(count: Int, failure: (any Error)?)>((0, nil))
    let start = monotonicNanoseconds()
    let threads = (0..<max(workers, 1)).map { _ in
      OwnedThread {
        var count = 0
        var failure: (any Error)?
        rows.withUnsafeBytes { raw in
          while count < 1 || monotonicNanoseconds() - start < share {
            do { _ = try run(engine, format, raw) } catch {
              failure = error
              return
            }
            count += 1
          }
        }
        runs.withLock { total in
          total.count += count
          if total.failure == nil { total.failure = failure }
        }
      }
    }
    threads.forEach { $0.join() }
    let elapsed = max(monotonicNanoseconds() - start, 1)
    let (count, failure) = runs.withLock { ($0.count, $0.failure) }
    if let failure { throw failure }
    return Double(size * count) / (Double(elapsed) / 1e9)
  }

  private static func run(_ engine: any InferenceEngine, _ format: RawFormat, _ rows: UnsafeRawBufferPointer)
    throws -> [OutputTensor]
  {
    try format.withInputTensors(payload: rows) { tensors, _ in
      try engine.run(tensors, outputs: format.outputs.map(\.index))
    }
  }

  /// `count` rows of deterministic pseudo-random values: floats in [-2, 2), integers in 0...3, bools.
  static func syntheticRows(_ format: RawFormat, count: Int) -> [UInt8] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 33
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count * (format.inputRowBytes ?? 0))
    for slot in format.inputs {
      for _ in 0..<(count * slot.rowElements) {
        let unit = Double(next() % 1_000_000) / 1_000_000
        switch slot.element {
        case .float32: withUnsafeBytes(of: Float(unit * 4 - 2)) { bytes += $0 }
        case .float64: withUnsafeBytes(of: unit * 4 - 2) { bytes += $0 }
        case .bool: bytes.append(UInt8(next() & 1))
        default:
          let width = slot.element.byteWidth!
          withUnsafeBytes(of: next() & 3) { bytes += $0.prefix(width) }
        }
      }
    }
    return bytes
  }
}
