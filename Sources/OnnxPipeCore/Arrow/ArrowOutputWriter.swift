/// One model output as an Arrow column.
struct ArrowOutputColumn: Sendable, Equatable {
  enum Kind: Sendable, Equatable {
    /// A tensor row: a primitive (or utf8) column for a scalar row, nested
    /// `FixedSizeList`s for a row of `rowShape`.
    case tensor(ElementType, rowShape: [Int])
    /// A sequence of maps (ZipMap): `Map<key, float>`.
    case map(stringKeys: Bool)
  }

  let index: Int
  let name: String
  let kind: Kind

  /// The column's schema field.
  var field: ArrowField {
    switch kind {
    case .tensor(let element, let shape):
      var field = ArrowField(name: "item", nullable: true, type: ArrowType(element)!)
      for size in shape.reversed() {
        field = ArrowField(
          name: "item", nullable: true, type: .fixedSizeList(size: Int32(size)), children: [field])
      }
      field.name = name
      return field
    case .map(let stringKeys):
      let key = ArrowField(
        name: "key", nullable: false, type: stringKeys ? .utf8 : .int(bitWidth: 64, signed: true))
      let value = ArrowField(name: "value", nullable: true, type: .floatingPoint(precision: 1))
      let entries = ArrowField(name: "entries", nullable: false, type: .structure, children: [key, value])
      return ArrowField(name: name, nullable: true, type: .map(keysSorted: false), children: [entries])
    }
  }
}

/// Writes Arrow IPC output: the schema message first, then one record batch
/// per pipeline batch (the end marker is the caller's, once all is written).
public struct ArrowOutputWriter: Sendable {
  let columns: [ArrowOutputColumn]
  /// Input columns copied through first (`--keep`, Arrow input only), with where their nodes start.
  let kept: [ArrowKeptColumn]
  /// Where the input's arrays find their buffers, when columns are kept.
  let inputLayout: ArrowArrayLayout?
  public let schema: ArrowSchema

  /// - Parameters:
  ///   - outputs: the selected outputs (indices into `signature.outputs`).
  ///   - namePrefix: put before each output's name (`--prefix`), but the `--model-field` one's.
  ///   - probe: one run's outputs, to learn row shapes the signature leaves free.
  ///   - kept: the input schema's columns to copy through, if `--keep`.
  ///   - inputLayout: the input record batches' layout, if `--keep`.
  ///   - metadata: the output schema's metadata.
  init(
    signature: ModelSignature, outputs: [Int], namePrefix: String = "", probe: [OutputTensor]?,
    kept: [ArrowKeptColumn], inputLayout: ArrowArrayLayout? = nil, metadata: [ArrowKeyValue]
  ) throws(PipeError) {
    var columns: [ArrowOutputColumn] = []
    for (position, index) in outputs.enumerated() {
      let spec = signature.outputs[index]
      switch spec.kind {
      case .tensor(let element, let shape):
        guard ArrowType(element) != nil else {
          throw PipeError(.model, "output '\(spec.name)' is \(element.rawValue), which Arrow has no type for")
        }
        var row: [Int] = []
        for dim in shape.dropFirst() {
          if case .fixed(let size) = dim { row.append(size) } else { row = []; break }
        }
        if row.count != max(shape.count - 1, 0) {
          guard let probe else {
            throw PipeError(.software, "output '\(spec.name)' has free dimensions and no probe ran")
          }
          row = Array(probe[position].shape.dropFirst())
        }
        columns.append(
          ArrowOutputColumn(
            index: index, name: signature.writtenName(of: index, prefix: namePrefix),
            kind: .tensor(element, rowShape: row))
        )
      case .other:
        guard spec.isSequenceOfMaps else {
          throw PipeError(
            .model, "output '\(spec.name)' is \(spec.typeDescription), which Arrow output cannot write")
        }
        columns.append(
          ArrowOutputColumn(
            index: index, name: signature.writtenName(of: index, prefix: namePrefix),
            kind: .map(stringKeys: spec.hasStringMapKeys)))
      }
    }
    self.columns = columns
    self.kept = kept
    self.inputLayout = inputLayout
    schema = ArrowSchema(fields: kept.map(\.field) + columns.map(\.field), metadata: metadata)
  }

  /// Whether a probe run is needed to learn the output row shapes.
  static func needsProbe(_ signature: ModelSignature, outputs: [Int]) -> Bool {
    outputs.contains { index in
      guard case .tensor(_, let shape) = signature.outputs[index].kind else { return false }
      return shape.dropFirst().contains { if case .symbolic = $0 { true } else { false } }
    }
  }

  /// The schema message.
  public var schemaMessage: [UInt8] { ArrowMessage.encode(schema) }

  /// The record batch for one input batch.
  /// - Parameters:
  ///   - results: the model's outputs for the scored rows, nil when none were scored.
  ///   - rows: for each output row, the row of `results` it shows, or nil for null outputs.
  ///   - input: the input batch, whose kept columns are copied through.
  func recordBatch(results: [OutputTensor]?, rows: [Int?], input: ArrowBatchView?) throws(PipeError)
    -> [UInt8]
  {
    var builder = ArrowBodyBuilder(capacity: rows.count * 16)
    var variadic: [Int] = []
    if let input, let inputLayout, let first = kept.first, let last = kept.last {
      variadic = try Self.copyArrays(
        of: input, layout: inputLayout, nodes: first.nodes.lowerBound..<last.nodes.upperBound, into: &builder)
    }
    let valid: [Bool]? = rows.contains(nil) ? rows.map { $0 != nil } : nil
    for (position, column) in columns.enumerated() {
      let result = results?[position]
      switch column.kind {
      case .tensor(let element, let shape):
        if let result, Array(result.shape.dropFirst()) != shape {
          throw PipeError(
            .data,
            "output '\(column.name)' has rows of shape \(Array(result.shape.dropFirst())), not \(shape) as the schema written says"
          )
        }
        appendTensor(result, element: element, shape: shape, rows: rows, valid: valid, to: &builder)
      case .map(let stringKeys):
        appendMaps(result, stringKeys: stringKeys, rows: rows, valid: valid, to: &builder)
      }
    }
    return builder.message(rows: rows.count, variadicBufferCounts: variadic)
  }

  private func appendTensor(
    _ result: OutputTensor?, element: ElementType, shape: [Int], rows: [Int?], valid: [Bool]?,
    to builder: inout ArrowBodyBuilder
  ) {
    let width = shape.reduce(1, *)
    // The outer column carries the nulls; each FixedSizeList level below it is one node and a validity buffer.
    let nulls = builder.appendValidity(valid)
    builder.appendNode(length: rows.count, nullCount: nulls)
    var length = rows.count
    for size in shape {
      length *= size
      builder.appendNode(length: length)
      builder.appendBuffer(count: 0)
    }
    let count = rows.count * width
    switch (element, result?.contents) {
    case (.string, let contents):
      var strings: [String] = []
      if case .strings(let values) = contents { strings = values }
      var offsets = [Int32](repeating: 0, count: count + 1)
      var data: [UInt8] = []
      var index = 0
      for row in rows {
        for item in 0..<width {
          if let row, !strings.isEmpty { data.append(contentsOf: strings[row * width + item].utf8) }
          index += 1
          offsets[index] = Int32(data.count)
        }
      }
      offsets.withUnsafeBytes { builder.appendBuffer($0) }
      data.withUnsafeBytes { builder.appendBuffer($0) }
    case (.bool, let contents):
      var source: [UInt8] = []
      if case .bytes(let bytes) = contents { source = bytes }
      builder.appendBuffer(count: (count + 7) / 8) { bits in
        var index = 0
        for row in rows {
          for item in 0..<width {
            if let row, !source.isEmpty, source[row * width + item] != 0 {
              bits[index >> 3] |= 1 << UInt8(index & 7)
            }
            index += 1
          }
        }
      }
    case (_, let contents):
      let size = element.byteWidth!
      var source: [UInt8] = []
      if case .bytes(let bytes) = contents { source = bytes }
      let identity =
        rows.count * width * size == source.count && rows.enumerated().allSatisfy { $0.offset == $0.element }
      if identity {
        source.withUnsafeBytes { builder.appendBuffer($0) }
      } else {
        builder.appendBuffer(count: count * size) { out in
          source.withUnsafeBytes { raw in
            for (position, row) in rows.enumerated() {
              guard let row, !source.isEmpty else { continue }
              out.baseAddress!.advanced(by: position * width * size).copyMemory(
                from: raw.baseAddress!.advanced(by: row * width * size), byteCount: width * size)
            }
          }
        }
      }
    }
  }

  private func appendMaps(
    _ result: OutputTensor?, stringKeys: Bool, rows: [Int?], valid: [Bool]?,
    to builder: inout ArrowBodyBuilder
  ) {
    var maps: [[MapEntry]] = []
    if case .maps(let values)? = result?.contents { maps = values }
    var offsets = [Int32](repeating: 0, count: rows.count + 1)
    var entries: [MapEntry] = []
    for (position, row) in rows.enumerated() {
      if let row, !maps.isEmpty { entries.append(contentsOf: maps[row]) }
      offsets[position + 1] = Int32(entries.count)
    }
    let nulls = builder.appendValidity(valid)
    builder.appendNode(length: rows.count, nullCount: nulls)
    offsets.withUnsafeBytes { builder.appendBuffer($0) }
    builder.appendNode(length: entries.count)  // entries: struct<key, value>
    builder.appendBuffer(count: 0)
    builder.appendNode(length: entries.count)  // key
    builder.appendBuffer(count: 0)
    if stringKeys {
      var keyOffsets = [Int32](repeating: 0, count: entries.count + 1)
      var data: [UInt8] = []
      for (index, entry) in entries.enumerated() {
        data.append(contentsOf: entry.key.utf8)
        keyOffsets[index + 1] = Int32(data.count)
      }
      keyOffsets.withUnsafeBytes { builder.appendBuffer($0) }
      data.withUnsafeBytes { builder.appendBuffer($0) }
    } else {
      let keys = entries.map { Int64($0.key) ?? 0 }
      keys.withUnsafeBytes { builder.appendBuffer($0) }
    }
    builder.appendNode(length: entries.count)  // value
    builder.appendBuffer(count: 0)
    let values = entries.map { Float($0.value) }
    values.withUnsafeBytes { builder.appendBuffer($0) }
  }
}

/// An input column copied into the output unchanged (`--keep`).
struct ArrowKeptColumn: Sendable, Equatable {
  let field: ArrowField
  /// Its field nodes' indices in each input record batch (its buffers follow from them, batch by batch).
  let nodes: Range<Int>
}
