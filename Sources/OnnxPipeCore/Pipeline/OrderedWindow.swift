/// Why the stream of batches ended.
public enum StreamEnd: Sendable, Equatable {
  /// The input ended cleanly.
  case endOfInput
  /// The input went bad at this point; every batch before it is still written.
  case inputError(PipeError)
  /// A signal asked us to stop; batches already read are still written.
  case interrupted(signal: Int32)
}

/// The pipeline's shared state as a pure state machine, with no locks or threads.
///
/// Batches are numbered as they are admitted. At most `capacity` batches are
/// in the window (admitted but not yet taken by the writer): that, not the
/// stream's length, bounds memory. Workers take admitted jobs in order and
/// finish them in any order; the writer takes results strictly by sequence
/// number. The storage class around it decides whom to wake from what each
/// call returns.
struct OrderedWindow<Job, Result> {
  /// What a worker should do next.
  enum WorkerAction {
    case run(sequence: Int, job: Job)
    case wait
    case exit
  }

  /// What the writer should do next.
  enum WriterAction {
    case write(sequence: Int, result: Result)
    case wait
    case finish(StreamEnd)
  }

  let capacity: Int
  /// The next sequence number to hand out.
  private(set) var admitted = 0
  /// The next sequence number the writer takes.
  private(set) var emitted = 0
  /// Admitted jobs not yet taken by a worker, from `queueHead` on; a taken job's
  /// slot is emptied at once, so the window holds no job a worker has finished.
  private var queue: [(Int, Job)?] = []
  private var queueHead = 0
  private var finished: [Int: Result] = [:]
  /// Set once: the sequence number where the stream ends, and why.
  private(set) var end: (sequence: Int, reason: StreamEnd)?
  /// Set when the writer gives up: nothing more is admitted or run.
  private(set) var stopped = false

  init(capacity: Int) {
    precondition(capacity >= 1, "window capacity must be at least 1, got \(capacity)")
    self.capacity = capacity
  }

  /// Batches in the window now.
  var inFlight: Int { admitted - emitted }

  /// Whether the reader may admit a batch now.
  var hasRoom: Bool { inFlight < capacity }

  /// Whether admission is over for good (ended or stopped).
  var isClosed: Bool { stopped || end != nil }

  /// Admits `job` and returns its sequence number, or nil if the stream is closed.
  /// The caller must have waited for `hasRoom`.
  mutating func admit(_ job: Job) -> Int? {
    guard !isClosed else { return nil }
    precondition(hasRoom, "admitted past the window: \(inFlight) in flight, capacity \(capacity)")
    let sequence = admitted
    admitted += 1
    queue.append((sequence, job))
    return sequence
  }

  /// Ends the stream after the batches admitted so far. Later calls keep the first reason.
  mutating func finish(_ reason: StreamEnd) {
    guard end == nil else { return }
    end = (admitted, reason)
  }

  /// Drops everything: the writer will write no more.
  mutating func stop() {
    stopped = true
    queue.removeAll()
    queueHead = 0
    finished.removeAll()
  }

  /// The next job for a worker.
  mutating func nextJob() -> WorkerAction {
    if stopped { return .exit }
    if queueHead < queue.count {
      let (sequence, job) = queue[queueHead]!
      queue[queueHead] = nil
      queueHead += 1
      if queueHead > 64 && queueHead * 2 > queue.count {
        queue.removeFirst(queueHead)
        queueHead = 0
      }
      return .run(sequence: sequence, job: job)
    }
    return end == nil ? .wait : .exit
  }

  /// Records a worker's result. Returns true when it is the one the writer waits for.
  mutating func complete(sequence: Int, result: Result) -> Bool {
    guard !stopped else { return false }
    precondition(
      sequence >= emitted && sequence < admitted, "completed \(sequence) outside [\(emitted), \(admitted))")
    finished[sequence] = result
    return sequence == emitted
  }

  /// The next thing for the writer to do.
  mutating func nextOutput() -> WriterAction {
    if let result = finished.removeValue(forKey: emitted) {
      emitted += 1
      return .write(sequence: emitted - 1, result: result)
    }
    if let end, end.sequence == emitted { return .finish(end.reason) }
    return .wait
  }
}
