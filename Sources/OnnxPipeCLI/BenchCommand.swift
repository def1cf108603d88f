import OnnxPipeCore
import OnnxRuntime
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

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
    if parsed.has("sweep") { return try sweep(parsed, path: path) }
    let rows = try positiveInt(parsed, "rows", maximum: 1 << 40) ?? 1_000_000
    let batch = try positiveInt(parsed, "batch") ?? 4096
    let workers = try positiveInt(parsed, "workers") ?? onlineProcessors()
    let intra = try positiveInt(parsed, "intra-threads") ?? 1
    let session = try ModelLoader.load(
      path: path, intraThreads: intra, optimization: try optimizationLevel(parsed))
    let engine = OrtEngine(session: session)
    let format = try RawFormat(signature: engine.signature, pinnedDimensions: try dimensions(parsed))
    let sample = try parsed.value("sample").map { (file) throws(PipeError) in
      try readSample(path: file, format: format, rows: rows)
    }
    let result = try measure(
      session: session, format: format, rows: rows, batch: batch, workers: workers, sample: sample)
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
  ///
  /// With `sample` (rows read from a raw frame file) the runs cycle through
  /// its whole batches, so the model sees the same data onnxpipe would; without
  /// it every run scores one batch of synthetic values.
  static func measure(
    session: Session, format: RawFormat, rows: Int, batch: Int, workers: Int, sample: [[UInt8]]? = nil
  ) throws(PipeError) -> Result {
    let runs = (rows + batch - 1) / batch
    var blocks: [UnsafeMutableRawBufferPointer?]
    var batchesInData = 1
    if let sample {
      let sampleRows = sample[0].count / format.inputs[0].rowBytes!
      guard sampleRows >= batch else {
        throw PipeError(
          .usage, "bench: --sample holds \(sampleRows) rows, fewer than one --batch of \(batch)")
      }
      batchesInData = sampleRows / batch
      blocks = sample.map { bytes in
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
        block.copyBytes(from: bytes)
        return block
      }
    } else {
      blocks = format.inputs.map { syntheticBlock(for: $0, rows: batch) }
    }
    defer { blocks.forEach { $0?.deallocate() } }
    func makeInputs(batchIndex: Int) throws -> [Value] {
      try zip(format.inputs, blocks).map { slot, block in
        if let block, let rowBytes = slot.rowBytes {
          let bytes = UnsafeRawBufferPointer(
            rebasing: block[(batchIndex * batch * rowBytes)..<((batchIndex + 1) * batch * rowBytes)])
          return try Value.tensor(
            borrowing: bytes, elementType: OrtEngine.ortType(slot.element), shape: [batch] + slot.rowShape)
        }
        return try Value.stringTensor(
          Array(repeating: "onnxpipe bench text", count: batch * slot.rowElements),
          shape: [batch] + slot.rowShape)
      }
    }
    let outputs = format.outputs.map(\.index)
    let inputSets: [[Value]]
    // The outputs' types and shapes, when every one is a fixed-width tensor: each thread then gives the
    // model tensors of its own to write into, as onnxpipe does for a model whose batch is fixed, so
    // the limit does not pay for ONNX Runtime allocating the outputs on every run.
    var outputLayouts: [(TensorElementType, [Int])]?
    do {
      inputSets = try (0..<batchesInData).map { try makeInputs(batchIndex: $0) }
      let warm = try session.run(inputSets[0], outputIndices: outputs)  // warm-up, and a clear error early
      outputLayouts = try warm.map { value throws(ORTError) in
        try value.kind() == .tensor ? value.tensorShape() : nil
      }
      .reduce(into: [(TensorElementType, [Int])]?([])) { all, layout in
        if let layout, layout.0.byteWidth != nil { all?.append(layout) } else { all = nil }
      }
    } catch {
      throw PipeError(.data, "bench: model run failed: \(error)")
    }
    // A model onnxpipe runs on a session per worker (`SessionPoolEngine`) gets one per thread here too,
    // made before the clock starts.
    let sessions = (0..<workers).map { index in
      guard index > 0, session.modelData != nil, let sibling = try? session.sibling() else { return session }
      _ = try? sibling.run(inputSets[0], outputIndices: outputs)  // warm-up, as the first one had
      return sibling
    }
    let next = Atomic<Int>(0)
    let failure = Locked<String?>(nil)
    let started = monotonicNanoseconds()
    let layouts = outputLayouts
    let threads = sessions.map { session in
      OwnedThread {
        do {
          let buffers = (layouts ?? []).map { element, shape in
            UnsafeMutableRawBufferPointer.allocate(
              byteCount: max(shape.reduce(1, *) * element.byteWidth!, 1), alignment: 64)
          }
          defer { buffers.forEach { $0.deallocate() } }
          let reused = try layouts.map { layouts in
            try zip(layouts, buffers).map { layout, buffer in
              try Value.tensor(
                borrowing: UnsafeRawBufferPointer(
                  rebasing: buffer[..<(layout.1.reduce(1, *) * layout.0.byteWidth!)]),
                elementType: layout.0, shape: layout.1)
            }
          }
          while true {
            let run = next.add(1, ordering: .relaxed).oldValue
            guard run < runs else { break }
            if let reused {
              try session.run(inputSets[run % inputSets.count], outputIndices: outputs, into: reused)
            } else {
              _ = try session.run(inputSets[run % inputSets.count], outputIndices: outputs)
            }
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

  /// Reads up to `rows` rows of raw frames from `path`, one byte array per input.
  static func readSample(path: String, format: RawFormat, rows: Int) throws(PipeError) -> [[UInt8]] {
    guard format.inputRowBytes != nil else {
      throw PipeError(.usage, "bench: --sample needs a model without string inputs")
    }
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else {
      throw PipeError(.noInput, "bench: cannot open '\(path)': \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    var source = RawFrameSource(input: FileDescriptor(rawValue: descriptor), maxFrameBytes: 1 << 30)
    var blocks = [[UInt8]](repeating: [], count: format.inputs.count)
    var total = 0
    while total < rows, let batch = try source.next() {
      do {
        try batch.payload.withUnsafeBytes { payload in
          try format.withInputTensors(payload: payload) { tensors, count in
            for (index, tensor) in tensors.enumerated() {
              if case .bytes(let bytes) = tensor.contents { blocks[index].append(contentsOf: bytes) }
            }
            total += count
          }
        }
      } catch {
        throw PipeError(.data, "bench: --sample \(batch.origin): \(error)")
      }
    }
    return blocks
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
