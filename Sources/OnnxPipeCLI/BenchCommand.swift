import OnnxPipeCore
import OnnxRuntime
import Synchronization

/// `onnxpipe bench MODEL`: the model alone, called through the C API in a
/// tight loop on W threads sharing one session, with no I/O, parsing or
/// ordering: the speed limit onnxpipe is measured against.
enum BenchCommand {
  struct Result {
    let rows: Int
    let runs: Int
    let seconds: Double
    var rowsPerSecond: Double { Double(rows) / seconds }
  }

  static func run(_ parsed: ParsedArguments) throws(PipeError) -> String {
    let path = try singleModel(parsed)
    let rows = try positiveInt(parsed, "rows") ?? 1_000_000
    let batch = try positiveInt(parsed, "batch") ?? 4096
    let workers = try positiveInt(parsed, "workers") ?? onlineProcessors()
    let intra = try positiveInt(parsed, "intra-threads") ?? 1
    let session = try ModelLoader.load(
      path: path, intraThreads: intra, optimization: try optimizationLevel(parsed))
    let engine = OrtEngine(session: session)
    let format = try RawFormat(signature: engine.signature, pinnedDimensions: try dimensions(parsed))
    let result = try measure(session: session, format: format, rows: rows, batch: batch, workers: workers)
    if parsed.has("json") {
      return
        "{\"model\":\(JSON.string(path)),\"rows\":\(result.rows),\"runs\":\(result.runs),\"batch\":\(batch),"
        + "\"workers\":\(workers),\"intra_threads\":\(intra),\"seconds\":\(Format.fixed(result.seconds, 6)),"
        + "\"rows_per_s\":\(Format.fixed(result.rowsPerSecond, 0))}\n"
    }
    return "\(path): \(result.rows) rows in \(result.runs) runs of \(batch), \(workers) workers x \(intra) "
      + "intra-op threads: \(Format.fixed(result.seconds, 3)) s, \(Format.si(result.rowsPerSecond))rows/s\n"
  }

  /// Scores `rows` rows (rounded up to whole batches) on `workers` threads.
  static func measure(
    session: Session, format: RawFormat, rows: Int, batch: Int, workers: Int
  ) throws(PipeError) -> Result {
    let runs = (rows + batch - 1) / batch
    let buffers = format.inputs.map { syntheticBlock(for: $0, rows: batch) }
    defer { buffers.forEach { $0?.deallocate() } }
    func makeInputs() throws -> [Value] {
      try zip(format.inputs, buffers).map { slot, buffer in
        if let buffer {
          return try Value.tensor(
            borrowing: UnsafeRawBufferPointer(buffer), elementType: OrtEngine.ortType(slot.element),
            shape: [batch] + slot.rowShape)
        }
        return try Value.stringTensor(
          Array(repeating: "onnxpipe bench text", count: batch * slot.rowElements),
          shape: [batch] + slot.rowShape)
      }
    }
    let outputs = format.outputs.map(\.index)
    do {
      _ = try session.run(try makeInputs(), outputIndices: outputs)  // warm-up, and a clear error early
    } catch {
      throw PipeError(.data, "bench: model run failed: \(error)")
    }
    let inputsPerWorker: [[Value]]
    do { inputsPerWorker = try (0..<workers).map { _ in try makeInputs() } } catch {
      throw PipeError(.data, "bench: cannot build inputs: \(error)")
    }
    let next = Atomic<Int>(0)
    let failure = Mutex<String?>(nil)
    let started = monotonicNanoseconds()
    let threads = inputsPerWorker.map { inputs in
      OwnedThread {
        do {
          while next.add(1, ordering: .relaxed).oldValue < runs {
            _ = try session.run(inputs, outputIndices: outputs)
          }
        } catch {
          failure.withLock { $0 = "\(error)" }
        }
      }
    }
    threads.forEach { $0.join() }
    let seconds = Double(monotonicNanoseconds() - started) / 1e9
    if let message = failure.withLock({ $0 }) {
      throw PipeError(.data, "bench: model run failed: \(message)")
    }
    return Result(rows: runs * batch, runs: runs, seconds: seconds)
  }

  /// Deterministic input bytes for `rows` rows of `slot`: small values that
  /// are valid for every element type. Nil for strings.
  static func syntheticBlock(for slot: RawSlot, rows: Int) -> UnsafeMutableRawBufferPointer? {
    guard let bytes = slot.rowBytes else { return nil }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes * rows, alignment: 64)
    let count = slot.rowElements * rows
    var state: UInt32 = 2_463_534_242
    for index in 0..<count {
      state ^= state << 13
      state ^= state >> 17
      state ^= state << 5
      let unit = Float(state % 2001) / 1000 - 1  // -1 ... 1
      switch slot.element {
      case .float32: buffer.storeBytes(of: unit, toByteOffset: index * 4, as: Float.self)
      case .float64: buffer.storeBytes(of: Double(unit), toByteOffset: index * 8, as: Double.self)
      case .float16: buffer.storeBytes(of: 0x3C00, toByteOffset: index * 2, as: UInt16.self)  // 1.0
      case .bfloat16: buffer.storeBytes(of: 0x3F80, toByteOffset: index * 2, as: UInt16.self)  // 1.0
      case .bool, .int8, .uint8: buffer.storeBytes(of: UInt8(state % 2), toByteOffset: index, as: UInt8.self)
      case .int16, .uint16: buffer.storeBytes(of: UInt16(state % 4), toByteOffset: index * 2, as: UInt16.self)
      case .int32, .uint32: buffer.storeBytes(of: UInt32(state % 4), toByteOffset: index * 4, as: UInt32.self)
      case .int64, .uint64: buffer.storeBytes(of: UInt64(state % 4), toByteOffset: index * 8, as: UInt64.self)
      case .string: break
      }
    }
    return buffer
  }
}
