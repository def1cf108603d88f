/// Scores one Arrow record batch: finds each input's values in the message
/// body (no copy when a column already is the tensor), runs the model on the
/// rows that can be scored, and writes an Arrow record batch or text records.
public struct ArrowBatchProcessor: BatchProcessor {
  /// Where the outputs go.
  public enum Output: Sendable {
    case arrow(ArrowOutputWriter)
    /// NDJSON or CSV, written by a `TextFormat(writing:...)`.
    case text(TextFormat)
  }

  let layout: ArrowInputLayout
  let output: Output
  let engine: any InferenceEngine
  let onError: OnErrorPolicy
  let outputIndices: [Int]
  let stats: PipelineStats?

  public func process(_ batch: Batch) throws(PipeError) -> ScoredBatch {
    let result = batch.payload.withUnsafeBytes { payload -> Result<ScoredBatch, PipeError> in
      do throws(PipeError) {
        return .success(try score(payload, batch))
      } catch {
        return .failure(error)
      }
    }
    switch result {
    case .success(let scored): return scored
    case .failure(let error): throw PipeError(error.kind, "\(batch.origin): \(error.message)")
    }
  }

  private func score(_ payload: UnsafeRawBufferPointer, _ batch: Batch) throws(PipeError) -> ScoredBatch {
    let view = try ArrowBatchView(payload: payload, bodyOffset: batch.bodyOffset, layout: layout.arrays)
    let rows = view.header.length
    var readers: [[ArrowColumnReader]] = []
    for plan in layout.inputs {
      var columns: [ArrowColumnReader] = []
      for column in plan.columns {
        columns.append(
          try ArrowColumnReader(
            column.resolved(in: view), rowElements: plan.gathers ? 1 : plan.input.rowElements, view: view,
            dictionaries: batch.arrowDictionaries))
      }
      readers.append(columns)
    }
    var problems = [String?](repeating: nil, count: rows)
    for plan in readers.indices {
      for column in readers[plan].indices {
        readers[plan][column].findProblems(&problems, for: layout.inputs[plan].input)
      }
    }
    var good: [Int]?
    var deadLetters: [UInt8] = []
    var rejected = 0
    if problems.contains(where: { $0 != nil }) {
      if onError == .fail, let row = problems.firstIndex(where: { $0 != nil }) {
        throw PipeError(.data, "row \(row + 1): \(problems[row]!)")
      }
      good = problems.indices.filter { problems[$0] == nil }
      for (row, problem) in problems.enumerated() {
        guard let problem else { continue }
        rejected += 1
        appendDeadLetter(batch: batch.origin.number, row: row, reason: problem, to: &deadLetters)
      }
    }
    let scored = good?.count ?? rows
    var results: [OutputTensor]?
    if scored > 0 {
      do {
        results = try run(readers, rows: good, count: scored)
      } catch {
        let reason =
          "model run failed: " + "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
        if onError == .fail { throw PipeError(.data, reason) }
        for row in (good ?? Array(0..<rows)) {
          appendDeadLetter(batch: batch.origin.number, row: row, reason: reason, to: &deadLetters)
        }
        rejected = rows
        good = []
      }
    }
    // Each output row shows a row of `results`, or nulls.
    var shown: [Int?]
    if let good {
      if onError == .null {
        shown = [Int?](repeating: nil, count: rows)
        for (position, row) in good.enumerated() where results != nil { shown[row] = position }
      } else {
        shown = results == nil ? [] : Array(0..<good.count)
      }
    } else {
      shown = Array(0..<rows)
    }
    var bytes: [UInt8] = []
    switch output {
    case .arrow(let writer):
      // Kept dictionary-encoded columns need the dictionary batches read since the last batch, first.
      bytes = try writer.dictionaryMessages(batch.arrowDictionaries)
      bytes += try writer.recordBatch(results: results, rows: shown, input: view)
    case .text(let format):
      bytes.reserveCapacity(shown.count * 32)
      OutputRows.with(results) { views in
        for row in shown {
          format.appendRecord(
            original: UnsafeRawBufferPointer(start: nil, count: 0), keepOriginal: false,
            results: row == nil ? nil : views, row: row ?? 0, to: &bytes)
        }
      }
    }
    return ScoredBatch(
      bytes: bytes, rows: results == nil ? 0 : scored, rejected: rejected, deadLetters: deadLetters)
  }

  /// Builds the input tensors (over the body where possible) and runs the model.
  private func run(_ readers: [[ArrowColumnReader]], rows good: [Int]?, count: Int) throws -> [OutputTensor] {
    var owned: [UnsafeMutableRawBufferPointer] = []
    defer { for buffer in owned { buffer.deallocate() } }
    var tensors: [InputTensor] = []
    var borrowed = 0
    for (plan, columns) in zip(layout.inputs, readers) {
      let input = plan.input
      let shape = [count] + input.rowShape
      if input.element == .string {
        var strings: [String] = []
        strings.reserveCapacity(count * input.rowElements)
        for row in good ?? Array(0..<columns[0].rows) {
          for column in columns { strings.append(contentsOf: column.strings(row, filling: input.missing)) }
        }
        tensors.append(InputTensor(element: .string, shape: shape, contents: .strings(strings)))
        continue
      }
      if let bytes = borrow(plan, columns, rows: good) {
        borrowed += 1
        tensors.append(InputTensor(element: input.element, shape: shape, contents: .bytes(bytes)))
        continue
      }
      let width = input.element.byteWidth!
      let buffer = UnsafeMutableRawBufferPointer.allocate(
        byteCount: max(count * input.rowElements * width, 1), alignment: 16)
      owned.append(buffer)
      copy(
        columns, rows: good, into: buffer.baseAddress!, element: input.element,
        rowElements: input.rowElements, missing: input.missing)
      tensors.append(
        InputTensor(
          element: input.element, shape: shape,
          contents: .bytes(UnsafeRawBufferPointer(rebasing: buffer[..<(count * input.rowElements * width)]))))
    }
    if let stats {
      stats.tensorsBorrowed.add(borrowed, ordering: .relaxed)
      stats.tensorsCopied.add(tensors.count - borrowed, ordering: .relaxed)
    }
    let results = try engine.run(tensors, outputs: outputIndices)
    for (index, result) in zip(outputIndices, results) where result.rowCount != count {
      throw PipeError(
        .data,
        "output '\(engine.signature.outputs[index].name)' has \(result.rowCount) rows for \(count) inputs")
    }
    return results
  }

  /// The tensor's bytes inside the message body, when the column already is
  /// the tensor: same element type, rows back to back, aligned, none left out.
  private func borrow(_ plan: ArrowInputPlan, _ columns: [ArrowColumnReader], rows good: [Int]?)
    -> UnsafeRawBufferPointer?
  {
    guard good == nil, !plan.gathers, let column = columns.first, !column.leafHasNulls,
      case .values(let element) = column.plan.leaf,
      element == plan.input.element, column.isContiguous
    else { return nil }
    let width = element.byteWidth!
    let start = column.rows == 0 ? 0 : column.leafStart(0) * width
    let bytes = UnsafeRawBufferPointer(
      rebasing: column.values[start..<start + column.rows * plan.input.rowElements * width])
    guard let base = bytes.baseAddress, Int(bitPattern: base) % width == 0 else {
      return column.rows == 0 ? bytes : nil
    }
    return bytes
  }

  /// Copies (converting where the types differ) the rows `good` (all when nil) into `destination`.
  private func copy(
    _ columns: [ArrowColumnReader], rows good: [Int]?, into destination: UnsafeMutableRawPointer,
    element: ElementType, rowElements: Int, missing: MissingFill
  ) {
    let width = element.byteWidth!
    let rows = good ?? Array(0..<(columns.first?.rows ?? 0))
    for (position, row) in rows.enumerated() {
      var target = destination + position * rowElements * width
      for column in columns {
        let start = column.leafStart(row)
        switch column.plan.leaf {
        case .values(let source):
          convertElements(
            source, column.values.baseAddress! + start * source.byteWidth!, to: element, target,
            count: column.rowElements)
        case .bits:
          var bytes = (0..<column.rowElements).map { UInt8(column.bit(start + $0) ? 1 : 0) }
          convertElements(.bool, &bytes, to: element, target, count: column.rowElements)
        case .dictionary(_, _, let valueType) where valueType.stringLayout == nil:
          // Each index's value, checked by `findProblems`.
          for item in 0..<column.rowElements {
            convertElements(
              valueType.element!, column.dictionary!.number(column.values, start + item), to: element,
              target + item * width, count: 1)
          }
        case .strings, .stringViews, .dictionary:
          preconditionFailure("string columns feed string inputs")
        }
        if case .element(let fill) = missing { column.fillNulls(row: row, with: fill, at: target) }
        target += column.rowElements * width
      }
    }
  }

  /// `{"batch":N,"row":R,"reason":"..."}` for the --errors file (rows counted from 1).
  private func appendDeadLetter(batch: Int, row: Int, reason: String, to out: inout [UInt8]) {
    out.append(contentsOf: "{\"batch\":\(batch),\"row\":\(row + 1),\"reason\":".utf8)
    ValueText.appendJSONString(reason.utf8, to: &out)
    out.append(contentsOf: "}\n".utf8)
  }
}
