/// Reads raw frames and regroups them for the model's best batch
/// (`--batch-rows`): consecutive small frames are merged into one batch of up
/// to the tuner's target rows (fixed, or moving while the tuner tries sizes
/// on the first runs), a frame of more than twice that is cut into slices
/// that workers score at the same time (the writer joins them again), and
/// frames in between pass as they are. Output frames still match input frames
/// one to one.
///
/// For a model with one input, a large frame's rows are contiguous, so its
/// slices are read and handed out as their bytes arrive: scoring starts
/// before the frame is read whole, and only the window's slices are held.
///
/// A merge never holds its first frame longer than `maxDelay` waiting for
/// more input, so a slow producer is answered frame by frame. Frames that
/// cannot be merged (over the size limit, not a whole number of rows) go
/// alone, after everything merged before them, and fail there as usual.
public struct AdaptiveFrameSource: BatchSource {
  private let input: FileDescriptor
  private var buffer: InputBuffer
  private var decoder: LengthPrefixedFrameDecoder
  /// The stream's first bytes, to explain a bad first frame.
  private var streamHead = StreamHead()
  private let rowBytes: Int
  /// Whether a large frame can be read slice by slice (one input: rows are contiguous).
  private let streamsSlices: Bool
  /// Rows per run to aim for, asked of `tuner` whenever a batch begins.
  public let tuner: BatchSizeTuner
  private var targetRows: Int
  private let maxDelayNanoseconds: UInt64
  private let readSize: Int
  private let wakeup = Interruption()
  private var interrupted = false
  private var seenEOF = false
  private var framesRead = 0
  /// Slices of a large frame not handed out yet.
  private var slices: [Batch] = []
  /// A large frame being read slice by slice.
  private var streaming: StreamedFrame?
  /// The merge in progress.
  private var payload: [UInt8] = []
  private var frames: [FrameSpan] = []
  private var rows = 0
  private var deadline: UInt64 = 0

  public var interruption: Interruption? { wakeup }

  /// - Parameters:
  ///   - rowBytes: bytes per row of the model's inputs (numeric inputs only).
  ///   - tuner: rows per model run to aim for (fixed, or chosen as the stream runs).
  ///   - singleInput: the model has one input, so a frame's rows are contiguous.
  public init(
    input: FileDescriptor, maxFrameBytes: Int, rowBytes: Int, tuner: BatchSizeTuner,
    maxDelayMilliseconds: Int,
    singleInput: Bool, readSize: Int = 1 << 18
  ) {
    streamsSlices = singleInput
    precondition(rowBytes > 0, "rowBytes \(rowBytes)")
    self.input = input
    self.rowBytes = rowBytes
    self.tuner = tuner
    targetRows = tuner.target()
    self.readSize = readSize
    maxDelayNanoseconds = UInt64(max(maxDelayMilliseconds, 0)) * 1_000_000
    buffer = InputBuffer(capacity: readSize)
    decoder = LengthPrefixedFrameDecoder(maxPayloadBytes: maxFrameBytes)
  }

  public mutating func next() throws(PipeError) -> Batch? {
    targetRows = tuner.target()  // no merge is under way between calls
    while true {
      if !slices.isEmpty { return slices.removeFirst() }
      if streaming != nil { return try nextStreamedSlice() }
      if interrupted { return takeMerged() }
      while let prefix = buffer.peekUInt32LE() {
        if framesRead == 0 && frames.isEmpty {
          try streamHead.check(buffer, maxPayloadBytes: decoder.maxPayloadBytes)
        }
        let length = Int(prefix)
        let small =
          length <= decoder.maxPayloadBytes && length % rowBytes == 0 && 2 * (length / rowBytes) < targetRows
        guard small else {
          if !frames.isEmpty { return takeMerged() }
          let rows = length / rowBytes
          if streamsSlices && length <= decoder.maxPayloadBytes && length % rowBytes == 0
            && rows > 2 * targetRows
          {
            framesRead += 1
            decoder.countFrameReadElsewhere()
            streaming = StreamedFrame(number: framesRead, offset: buffer.streamOffset, rows: rows)
            buffer.skip(4)
            return try nextStreamedSlice()
          }
          return try readWhole()
        }
        if rows + length / rowBytes > targetRows { return takeMerged() }
        guard buffer.readableBytes >= 4 + length else { break }
        takeSmallFrame(length: length)
        // Empty frames add no rows; cap the frames a merge holds so they cannot pile up either.
        if rows == targetRows || frames.count >= max(targetRows, 64) { return takeMerged() }
      }
      if seenEOF {
        if !frames.isEmpty { return takeMerged() }
        // A frame cut short: the decoder names it.
        guard let frame = try decoder.decodeLast(&buffer, seenEOF: true) else { return nil }
        return batch(frame)
      }
      if !frames.isEmpty {
        let now = monotonicNanoseconds()
        let milliseconds =
          now >= deadline ? 0 : Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
        if now >= deadline || !wakeup.waitForInput(input, milliseconds: milliseconds) {
          interrupted = wakeup.isTriggered
          return takeMerged()
        }
      } else if !wakeup.waitForInput(input, milliseconds: -1) {
        interrupted = wakeup.isTriggered
        continue
      }
      try fill()
    }
  }

  /// Moves one whole small frame from the buffer into the merge.
  private mutating func takeSmallFrame(length: Int) {
    framesRead += 1
    if frames.isEmpty { deadline = monotonicNanoseconds() + maxDelayNanoseconds }
    let offset = buffer.streamOffset
    buffer.skip(4)
    let start = payload.count
    _ = buffer.read(length, appendingTo: &payload)  // the caller checked the frame is buffered whole
    frames.append(FrameSpan(range: start..<start + length, number: framesRead, offset: offset))
    rows += length / rowBytes
    decoder.countFrameReadElsewhere()
  }

  private mutating func takeMerged() -> Batch? {
    guard let first = frames.first else { return nil }
    var batch = Batch(
      origin: BatchOrigin(unit: .frame, number: first.number, byteOffset: first.offset), payload: payload)
    batch.frames = frames
    payload = []
    payload.reserveCapacity(targetRows * rowBytes)
    frames = []
    rows = 0
    return batch
  }

  /// Reads a frame that goes alone (through the plain decoder), cut into slices when large.
  private mutating func readWhole() throws(PipeError) -> Batch? {
    while true {
      if let frame = try decoder.decode(&buffer) {
        framesRead += 1
        return batch(frame)
      }
      if seenEOF {
        guard let frame = try decoder.decodeLast(&buffer, seenEOF: true) else { return nil }
        return batch(frame)
      }
      guard wakeup.waitForInput(input, milliseconds: -1) else {
        // Interrupted inside a frame: it was not read whole, so it is dropped.
        interrupted = wakeup.isTriggered
        return nil
      }
      try fill()
    }
  }

  /// A frame as one batch, or as slices of about `targetRows` rows each when it has more than twice that.
  private mutating func batch(_ frame: Frame) -> Batch {
    let single = Batch(
      origin: BatchOrigin(unit: .frame, number: frame.number, byteOffset: frame.offset),
      payload: frame.payload)
    let count = frame.payload.count / rowBytes
    guard frame.payload.count % rowBytes == 0, count > 2 * targetRows else { return single }
    let pieces = (count + targetRows - 1) / targetRows
    let size = (count + pieces - 1) / pieces
    var parts: [Batch] = []
    for start in stride(from: 0, to: count, by: size) {
      var part = single
      part.slice = FrameSlice(rows: start..<min(start + size, count), isLast: start + size >= count)
      parts.append(part)
    }
    slices = Array(parts.dropFirst())
    return parts[0]
  }

  /// The next slice of the frame being streamed, once its bytes are all read.
  private mutating func nextStreamedSlice() throws(PipeError) -> Batch? {
    guard var frame = streaming else { return nil }
    targetRows = tuner.target()
    let count = min(targetRows, frame.rows - frame.rowsRead)
    // Not zeroed: a slice goes on only once every byte is read (see `LengthPrefixedFrameDecoder`).
    var bytes = [UInt8](unsafeUninitializedCapacity: count * rowBytes) { _, length in
      length = count * rowBytes
    }
    var filled = 0
    while true {
      filled += bytes.withUnsafeMutableBytes { raw in
        buffer.readBytes(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
      }
      if filled == bytes.count { break }
      if seenEOF {
        let length = frame.rows * rowBytes
        let got = frame.rowsRead * rowBytes + filled
        streaming = nil
        throw PipeError(
          .data,
          "frame \(frame.number) (byte \(frame.offset)): truncated: stream ended at byte \(frame.offset + 4 + UInt64(got)), \(length - got) of its \(length) payload bytes missing\(frame.number == 1 ? streamHead.hint : "")"
        )
      }
      guard wakeup.waitForInput(input, milliseconds: -1) else {
        // Interrupted inside the frame: it was not read whole, so it is dropped.
        interrupted = wakeup.isTriggered
        streaming = nil
        return nil
      }
      try fill()
    }
    frame.rowsRead += count
    let isLast = frame.rowsRead == frame.rows
    streaming = isLast ? nil : frame
    var batch = Batch(
      origin: BatchOrigin(unit: .frame, number: frame.number, byteOffset: frame.offset), payload: bytes)
    batch.slice = FrameSlice(rows: 0..<count, isLast: isLast)
    return batch
  }

  private mutating func fill() throws(PipeError) {
    let count = try buffer.read(from: input, minimum: readSize)
    if count == 0 { seenEOF = true }
  }
}

/// A large frame read slice by slice.
private struct StreamedFrame {
  let number: Int
  let offset: UInt64
  let rows: Int
  var rowsRead = 0
}
