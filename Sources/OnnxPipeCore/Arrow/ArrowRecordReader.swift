/// Reads an Arrow record batch: finds each input's values in the message
/// body (no copy when a column already is the tensor) and notes the rows
/// that cannot be scored (nulls where the model takes none, bad values).
public struct ArrowRecordReader: RecordReader {
  let layout: ArrowInputLayout
  let onError: OnErrorPolicy
  let stats: PipelineStats?

  /// The model's inputs as this stream feeds them (for a probe run).
  public var inputs: [TextInput] { layout.inputs.map(\.input) }
  /// The stream's schema.
  public var schema: ArrowSchema { layout.schema }

  public func withRecords<R>(_ batch: Batch, _ body: (DecodedRecords) throws(PipeError) -> R)
    throws(PipeError) -> R
  {
    let result = batch.payload.withUnsafeBytes { payload -> Result<R, PipeError> in
      do throws(PipeError) {
        return .success(try decode(payload, batch, body))
      } catch {
        return .failure(error)
      }
    }
    switch result {
    case .success(let value): return value
    case .failure(let error) where error.message.hasPrefix("\(batch.origin):"): throw error
    case .failure(let error): throw PipeError(error.kind, "\(batch.origin): \(error.message)")
    }
  }

  private func decode<R>(
    _ payload: UnsafeRawBufferPointer, _ batch: Batch, _ body: (DecodedRecords) throws(PipeError) -> R
  ) throws(PipeError) -> R {
    let view = try ArrowBatchView(payload: payload, bodyOffset: batch.bodyOffset, layout: layout.arrays)
    let rows = view.header.length
    var readers = try makeReaders(view, batch)
    var problems = [String?](repeating: nil, count: rows)
    for plan in readers.indices {
      for column in readers[plan].indices {
        readers[plan][column].findProblems(&problems, for: layout.inputs[plan].input)
      }
    }
    var fates: [RecordFate]?
    var good: [Int]?
    if problems.contains(where: { $0 != nil }) {
      if onError == .fail, let row = problems.firstIndex(where: { $0 != nil }) {
        throw PipeError(.data, "row \(row + 1): \(problems[row]!)")
      }
      var scored = 0
      fates = problems.map { problem in
        guard let problem else {
          scored += 1
          return .row(scored - 1)
        }
        return .rejected(problem)
      }
      good = problems.indices.filter { problems[$0] == nil }
    }
    let origin = batch.origin
    let columns = readers
    let decoded = DecodedRecords(
      count: rows, fates: fates, rows: good?.count ?? rows, kept: .arrow(view, batch.arrowDictionaries),
      isUnit: true, location: { _ in origin.description },
      deadLetter: { row, reason, out in
        Self.appendDeadLetter(batch: origin.number, row: row, reason: reason, to: &out)
      },
      run: { engine, outputs in
        try layout.inputs.contains(where: { $0.input.raggedStride != nil })
          ? runRagged(view, batch, columns, rows: good ?? Array(0..<rows), engine: engine, outputs: outputs)
          : run(columns, rows: good, count: good?.count ?? rows, engine: engine, outputs: outputs)
      })
    return try body(decoded)
  }

  /// A reader per planned column; `lengths` gives a ragged input's leaf values per row (one group's).
  private func makeReaders(_ view: ArrowBatchView, _ batch: Batch, lengths: [Int: Int] = [:])
    throws(PipeError)
    -> [[ArrowColumnReader]]
  {
    var readers: [[ArrowColumnReader]] = []
    for (index, plan) in layout.inputs.enumerated() {
      var columns: [ArrowColumnReader] = []
      for column in plan.columns {
        var reader = try ArrowColumnReader(
          column.resolved(in: view),
          rowElements: lengths[index] ?? (plan.gathers ? 1 : plan.input.rowElements),
          view: view, dictionaries: batch.arrowDictionaries)
        reader.variableRows = plan.input.raggedStride != nil && lengths[index] == nil
        columns.append(reader)
      }
      readers.append(columns)
    }
    return readers
  }

  /// Rows whose list lengths differ for an input sized by each row: run in
  /// groups of one length, outputs back in row order.
  private func runRagged(
    _ view: ArrowBatchView, _ batch: Batch, _ readers: [[ArrowColumnReader]], rows: [Int],
    engine: any InferenceEngine, outputs: [Int]
  ) throws -> [OutputTensor] {
    let ragged = layout.inputs.indices.filter { layout.inputs[$0].input.raggedStride != nil }
    let groups = RowGroups(rows: rows.count) { position in
      ragged.map { readers[$0][0].leafCount(rows[position]) }
    }
    var results: [[OutputTensor]] = []
    for (members, key) in zip(groups.members, groups.keys) {
      var lengths: [Int: Int] = [:]
      var inputs = layout.inputs.map(\.input)
      for (index, length) in zip(ragged, key) {
        lengths[index] = length
        let stride = inputs[index].raggedStride!
        inputs[index] = inputs[index].resized(rows: length / stride)
      }
      let groupReaders = try makeReaders(view, batch, lengths: lengths)
      results.append(
        try run(
          groupReaders, rows: members.map { rows[$0] }, count: members.count, inputs: inputs, engine: engine,
          outputs: outputs))
    }
    return try groups.reassemble(results)
  }

  /// Builds the input tensors (over the body where possible) and runs the model.
  /// `inputs`, when given, are the inputs as shaped for this run (a ragged group's).
  private func run(
    _ readers: [[ArrowColumnReader]], rows good: [Int]?, count: Int, inputs: [TextInput]? = nil,
    engine: any InferenceEngine, outputs: [Int]
  ) throws -> [OutputTensor] {
    var owned: [UnsafeMutableRawBufferPointer] = []
    defer { for buffer in owned { buffer.deallocate() } }
    var tensors: [InputTensor] = []
    var borrowed = 0
    for (index, (plan, columns)) in zip(layout.inputs, readers).enumerated() {
      let input = inputs?[index] ?? plan.input
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
    return try engine.run(tensors, outputs: outputs)
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
  private static func appendDeadLetter(batch: Int, row: Int, reason: String, to out: inout [UInt8]) {
    out.append(contentsOf: "{\"batch\":\(batch),\"row\":\(row + 1),\"reason\":".utf8)
    ValueText.appendJSONString(reason.utf8, to: &out)
    out.append(contentsOf: "}\n".utf8)
  }
}
