/// How the pipeline runs: the number of workers and the window size.
public struct PipelineConfiguration: Sendable, Equatable {
  /// Worker threads scoring batches in parallel.
  public var workers: Int
  /// Batches read but not yet written, at most. Bounds memory.
  public var window: Int
  /// When set, batches past `minimumWindow` are admitted only while the batches in flight hold
  /// fewer payload bytes than this: many small batches (a small model's frames) keep the workers
  /// fed through a deep window, and large ones are held to a few.
  public var windowBytes: Int?
  /// Batches always admitted under `windowBytes`, whatever their size.
  public var minimumWindow: Int
  /// Output bytes gathered before a write(2) while more results are ready.
  public var writeBufferBytes: Int
  /// Bytes written before the first batch (a CSV header, an Arrow schema).
  public var preamble: [UInt8] = []
  /// Bytes written after the last batch when the stream ends or is interrupted, not after
  /// an error: a cut stream stays cut (Arrow's end-of-stream marker).
  public var epilogue: [UInt8] = []

  public init(workers: Int, window: Int, writeBufferBytes: Int = 1 << 18) {
    precondition(workers >= 1, "workers must be at least 1, got \(workers)")
    precondition(window >= 1, "window must be at least 1, got \(window)")
    self.workers = workers
    self.window = window
    self.writeBufferBytes = writeBufferBytes
    minimumWindow = window
  }
}

/// How a pipeline run ended.
public enum PipelineOutcome: Sendable, Equatable {
  /// Every batch was written.
  case finished
  /// Stopped at the first error in stream order; every batch before it was written.
  case failed(PipeError)
  /// A signal ended the input; every batch read before it was written.
  case interrupted(signal: Int32)
}

/// Reader -> bounded window -> W workers -> reorder -> writer.
///
/// The reader runs on a thread of its own (it may block in `read(2)` for as
/// long as the input is idle), the workers on W threads, and the writer on
/// the thread that calls `run()`. Output order is input order whatever order
/// the workers finish in.
public final class Pipeline<Source: BatchSource, Sink: OutputSink>: @unchecked Sendable {
  // @unchecked Sendable: all shared mutable state is `window`, guarded by `lock`;
  // `source` is used only by the reader thread and `sink` only by the writer.
  private typealias Window = OrderedWindow<Job, Completed>
  private struct Job {
    var batch: Batch
    var admittedAt: UInt64
    /// The processor in force when the batch was admitted: a batch is scored by one model, and
    /// every batch admitted after `replaceProcessor` by the new one.
    var processor: any BatchProcessor
  }
  /// A worker's result, still carrying its admission time for the latency figure.
  private struct Completed {
    var result: Result<ScoredBatch, PipeError>
    var admittedAt: UInt64
    var processor: any BatchProcessor
    /// The batch's payload bytes, counted in `bytesInFlight` until it is written.
    var payloadBytes: Int
  }

  private static var roomCondition: Int { 0 }
  private static var workCondition: Int { 1 }
  private static var outputCondition: Int { 2 }

  private let lock = ConditionLock(conditions: 3)
  private var window: Window
  /// Payload bytes of the batches admitted and not yet taken by the writer; guarded by `lock`.
  private var bytesInFlight = 0
  /// The source's interruption, read once at init (the source itself belongs to the reader thread).
  private let sourceInterruption: Interruption?
  /// A signal the reader must end the stream with once it has handed over its records.
  private var pendingSignal: Int32?
  /// What `source.finishInput()` found after the end of the input, once it has returned (guarded
  /// by `lock`): `.success` when nothing followed the end.
  private var inputAfterEnd: Result<Void, PipeError>?
  /// A signal that came while `run` waited for `finishInput` (guarded by `lock`): the output is
  /// written, so the run ends at once rather than wait on an input its producer keeps open.
  private var signalAfterEnd: Int32?
  private var source: Source
  private var sink: Sink
  private var deadLetterSink: (any OutputSink)?
  /// The processor new batches get; guarded by `lock` (`replaceProcessor` swaps it).
  private var processor: any BatchProcessor
  private let configuration: PipelineConfiguration
  /// Live counters; read them from another thread for progress.
  public let stats: PipelineStats

  /// - Parameter deadLetters: where rejected records go (`--errors FILE`), if anywhere.
  public init(
    source: Source, processor: any BatchProcessor, sink: Sink,
    configuration: PipelineConfiguration, stats: PipelineStats = PipelineStats(),
    deadLetters: (any OutputSink)? = nil
  ) {
    self.source = source
    self.sourceInterruption = source.interruption
    self.deadLetterSink = deadLetters
    self.processor = processor
    self.sink = sink
    self.configuration = configuration
    self.stats = stats
    self.window = Window(capacity: configuration.window)
  }

  /// Ends the input as if it had stopped here: batches already admitted are
  /// scored and written, the reader's next batch is dropped. Safe from any thread.
  public func interrupt(signal: Int32) {
    lock.withLock {
      if let interruption = sourceInterruption, !window.isClosed {
        // The reader hands over the records it holds, then ends the stream with this signal.
        pendingSignal = signal
        interruption.trigger()
      } else {
        window.finish(.interrupted(signal: signal))
        signalAfterEnd = signal
        wakeEveryone()
      }
    }
  }

  /// Scores every batch admitted from now on with `processor` (a reloaded
  /// model); batches already admitted keep the one they were admitted with,
  /// so output order stays input order and the switch falls between two
  /// batches. Safe from any thread.
  public func replaceProcessor(_ processor: any BatchProcessor) {
    lock.withLock { self.processor = processor }
  }

  /// Batches admitted and not yet written, now (a gauge for metrics).
  public var batchesInFlight: Int {
    lock.withLock { window.inFlight }
  }

  /// Runs to the end of the stream, the first error, or an interrupt.
  /// Blocks the calling thread, which becomes the writer.
  public func run() -> PipelineOutcome {
    let cpuAtStart = processCPUNanoseconds()
    defer {
      stats.pipelineCPUNanoseconds.store(Int(processCPUNanoseconds() &- cpuAtStart), ordering: .relaxed)
    }
    let reader = OwnedThread { [self] in readLoop() }
    let workers = (0..<configuration.workers).map { _ in OwnedThread { [self] in workLoop() } }
    let outcome = writeLoop()
    lock.withLock {
      window.stop()
      wakeEveryone()
    }
    workers.forEach { $0.join() }
    if case .interrupted = outcome {
      // The reader may sit in read(2) on an idle input for ever; don't wait for it.
      reader.detach()
    } else if case .failed = outcome {
      reader.detach()
    } else {
      let (after, signal) = lock.withLock {
        while inputAfterEnd == nil && signalAfterEnd == nil { lock.wait(Self.outputCondition) }
        return (inputAfterEnd, signalAfterEnd)
      }
      guard let after else {
        reader.detach()  // still reading on after the input's end marker
        return .interrupted(signal: signal!)
      }
      reader.join()
      if case .failure(let error) = after { return .failed(error) }
    }
    return outcome
  }

  private func wakeEveryone() {
    lock.broadcast(Self.roomCondition)
    lock.broadcast(Self.workCondition)
    lock.broadcast(Self.outputCondition)
  }

  // MARK: reader

  private func readLoop() {
    // The thread is the reader's alone: its whole CPU time is the reader stage's.
    defer { stats.readerCPUNanoseconds.store(Int(threadCPUNanoseconds()), ordering: .relaxed) }
    while true {
      let open = lock.withLock {
        while !hasRoom && !window.isClosed { lock.wait(Self.roomCondition) }
        return !window.isClosed
      }
      guard open else { return }
      let batch: Batch?
      do { batch = try source.next() } catch {
        lock.withLock {
          window.finish(.inputError(error))
          wakeEveryone()
        }
        return
      }
      guard let batch else {
        let interrupted = lock.withLock {
          window.finish(pendingSignal.map { .interrupted(signal: $0) } ?? .endOfInput)
          wakeEveryone()
          return pendingSignal != nil
        }
        // While the writer finishes the output: what follows the input's own end, if anything.
        var after = Result<Void, PipeError>.success(())
        if !interrupted {
          do { try source.finishInput() } catch { after = .failure(error) }
        }
        lock.withLock {
          inputAfterEnd = after
          lock.broadcast(Self.outputCondition)
        }
        return
      }
      let count = batch.inputBytes
      let accepted = lock.withLock {
        let job = Job(batch: batch, admittedAt: monotonicNanoseconds(), processor: processor)
        guard window.admit(job) != nil else { return false }
        bytesInFlight += batch.payload.count
        lock.signal(Self.workCondition)
        return true
      }
      guard accepted else { return }
      stats.bytesIn.add(count, ordering: .relaxed)
    }
  }

  // MARK: workers

  private func workLoop() {
    while true {
      let action = lock.withLock {
        while true {
          let action = window.nextJob()
          if case .wait = action { lock.wait(Self.workCondition) } else { return action }
        }
      }
      guard case .run(let sequence, let job) = action else { return }
      var result: Result<ScoredBatch, PipeError>
      do { result = .success(try job.processor.process(job.batch)) } catch { result = .failure(error) }
      let completed = Completed(
        result: result, admittedAt: job.admittedAt, processor: job.processor,
        payloadBytes: job.batch.payload.count)
      lock.withLock {
        if window.complete(sequence: sequence, result: completed) { lock.signal(Self.outputCondition) }
      }
    }
  }

  // MARK: writer

  private func writeLoop() -> PipelineOutcome {
    // The calling thread did other work before (loading the model): count this loop's share only.
    let cpuAtStart = threadCPUNanoseconds()
    defer {
      stats.writerCPUNanoseconds.store(Int(threadCPUNanoseconds() &- cpuAtStart), ordering: .relaxed)
    }
    // Output not yet written: each batch's bytes as the worker made them, written together by
    // one writev(2) (no copy into a buffer of ours).
    var buffer = GatheredOutput()
    buffer.add(configuration.preamble)
    var pendingLatencies: [UInt64] = []
    // Slices of one large frame, held until its last slice arrives.
    var held: [ScoredBatch] = []
    do throws(PipeError) {
      while true {
        var action = lock.withLock { takeOutput() }
        if case .wait = action {
          // Nothing ready: hand what we have downstream before sleeping, so a
          // slow live stream is never held back by our buffer.
          try flush(&buffer, &pendingLatencies)
          action = lock.withLock {
            while true {
              let action = takeOutput()
              if case .wait = action { lock.wait(Self.outputCondition) } else { return action }
            }
          }
        }
        switch action {
        case .wait: continue
        case .write(_, let completed):
          var scored: ScoredBatch
          switch completed.result {
          case .failure(let error):
            try flush(&buffer, &pendingLatencies)
            return .failed(error)
          case .success(let value): scored = value
          }
          lock.signal(Self.roomCondition)
          if scored.isPartial {
            held.append(scored)
            continue
          }
          if !held.isEmpty {
            scored = try completed.processor.join(held + [scored])
            held = []
          }
          pendingLatencies.append(completed.admittedAt)
          stats.rows.add(scored.rows, ordering: .relaxed)
          stats.batches.add(1, ordering: .relaxed)
          stats.rejected.add(scored.rejected, ordering: .relaxed)
          buffer.add(scored.bytes)
          for block in scored.blocks { buffer.add(block) }
          if buffer.byteCount >= configuration.writeBufferBytes
            || buffer.parts.count >= GatheredOutput.maxParts
          {
            try flush(&buffer, &pendingLatencies)
          }
          if !scored.deadLetters.isEmpty {
            do { try deadLetterSink?.write(scored.deadLetters) } catch {
              throw PipeError(.io, "--errors file: \(error.message)")
            }
          }
          if let failure = scored.failure {
            try flush(&buffer, &pendingLatencies)
            return .failed(failure)
          }
        case .finish(let end):
          if case .inputError = end {} else { buffer.add(configuration.epilogue) }
          try flush(&buffer, &pendingLatencies)
          switch end {
          case .endOfInput: return .finished
          case .inputError(let error): return .failed(error)
          case .interrupted(let signal): return .interrupted(signal: signal)
          }
        }
      }
    } catch {
      return .failed(error)
    }
  }

  /// Whether the reader may admit a batch now (call with `lock` held).
  private var hasRoom: Bool {
    guard window.hasRoom else { return false }
    guard let budget = configuration.windowBytes else { return true }
    return window.inFlight < configuration.minimumWindow || bytesInFlight < budget
  }

  /// The window's next output, its batch no longer counted in flight (call with `lock` held).
  private func takeOutput() -> Window.WriterAction {
    let action = window.nextOutput()
    if case .write(_, let completed) = action { bytesInFlight -= completed.payloadBytes }
    return action
  }

  private func flush(_ buffer: inout GatheredOutput, _ latencies: inout [UInt64]) throws(PipeError) {
    if !buffer.parts.isEmpty {
      try sink.write(parts: buffer.parts)
      stats.bytesOut.add(buffer.byteCount, ordering: .relaxed)
      buffer.removeAll()
    }
    recordLatencies(&latencies)
  }

  private func recordLatencies(_ latencies: inout [UInt64]) {
    guard !latencies.isEmpty else { return }
    let now = monotonicNanoseconds()
    stats.latency.withLock { histogram in
      for started in latencies { histogram.record(nanoseconds: now &- started) }
    }
    latencies.removeAll(keepingCapacity: true)
  }
}

/// Output bytes gathered for one write: the parts as they came, not copied.
struct GatheredOutput {
  /// Parts per write at most (Linux takes up to 1024 in one writev(2)).
  static var maxParts: Int { 64 }

  private(set) var parts: [[UInt8]] = []
  private(set) var byteCount = 0

  mutating func add(_ bytes: [UInt8]) {
    guard !bytes.isEmpty else { return }
    parts.append(bytes)
    byteCount += bytes.count
  }

  mutating func removeAll() {
    parts.removeAll(keepingCapacity: true)
    byteCount = 0
  }
}
