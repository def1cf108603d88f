/// What a text run reads.
public enum TextInputFormat: String, Sendable, CaseIterable {
  case ndjson, csv, lines
}

/// What a text run writes.
public enum TextOutputFormat: String, Sendable, CaseIterable {
  case ndjson, csv
}

/// Whether a CSV stream starts with a header line (`--header`, `--no-header`).
public enum CSVHeaderPolicy: Sendable {
  /// The first record is the header, unless every field of it is a number:
  /// then it looks like data, and the run stops rather than lose that row.
  case detect
  /// The first record is the header, whatever it holds.
  case present
  /// No header: every record is data, and columns are named by number from 1.
  case absent
}

/// What to do with a record that cannot be scored (`--on-error`).
public enum OnErrorPolicy: String, Sendable, CaseIterable {
  /// Stop at the first bad record, after writing every record before it.
  case fail
  /// Write nothing for it (the --errors file gets it).
  case skip
  /// Write it with null outputs.
  case null
}

/// One selected model output as text formats write it.
public struct TextOutput: Sendable, Equatable {
  public let index: Int
  public let name: String
  /// Elements in one row, when known (needed for CSV columns).
  public var rowElements: Int?
  /// For a sequence-of-maps output, the keys in order (from a probe run; needed for CSV).
  public var mapKeys: [String]?
  public let isMap: Bool
  /// Whether this is the `--model-field` output (named as given, without `--prefix`).
  public var isModelField = false
}

/// The layout of a text run: inputs and where they come from, outputs and
/// how they are printed, and the record policies.
public struct TextFormat: Sendable {
  enum Decoder: Sendable {
    case ndjson(NDJSONRecordDecoder)
    case csv(CSVRecordDecoder)
    case lines
  }

  public let input: TextInputFormat
  public let output: TextOutputFormat
  public internal(set) var inputs: [InputRow]
  public internal(set) var outputs: [TextOutput]
  /// Each output's `"name":` as JSON, escaped once instead of on every record.
  let jsonKeys: [[UInt8]]
  let decoder: Decoder
  public let keep: Bool
  public let onError: OnErrorPolicy
  public let maxRecordBytes: Int
  /// The CSV header's field names (CSV input), for `--keep` into NDJSON.
  let csvHeader: [[UInt8]]
  /// The CSV header record as read (CSV input), written again with `--keep`.
  let csvHeaderRecord: [UInt8]
  /// `--prefix`: already part of each `outputs[i].name` (but the `--model-field` one's); kept for
  /// Arrow output's column names.
  public let outputPrefix: String

  /// The NDJSON keys that feed the inputs one value each, in model order: `--columns`, or, for a
  /// one-input model that takes a whole row of numbers and whose first record has no field of the
  /// input's name, that record's number fields when there are exactly as many as the row's values
  /// (as for CSV). Nil: every input reads its own field.
  static func ndjsonColumns(inputs: [InputRow], mapping: InputMapping, firstRecord: [UInt8]?)
    throws(PipeError)
    -> [String]?
  {
    let needed = inputs.reduce(0) { $0 + $1.rowElements }
    if let columns = mapping.columns {
      guard mapping.fields.isEmpty else {
        throw PipeError(
          .usage,
          "--columns and --input do not go together for NDJSON: name every input's fields with --columns")
      }
      if let ragged = inputs.first(where: { $0.raggedStride != nil }) {
        throw PipeError(
          .usage,
          "--columns: input '\(ragged.name)' has a row length each record sets; give it as one field's array")
      }
      guard columns.count == needed else {
        throw PipeError(
          .usage, "--columns names \(columns.count) fields; the model's inputs take \(needed) values a row")
      }
      return columns
    }
    guard inputs.count == 1, mapping.fields.isEmpty, let input = inputs.first, input.rowElements > 1,
      input.raggedStride == nil, input.element != .string, let firstRecord,
      let keys = firstRecord.withUnsafeBytes({ NDJSONRecordDecoder.numberKeys($0, inputNames: [input.name]) }
      ),
      keys.count == needed
    else { return nil }
    return keys
  }

  /// Builds the layout.
  /// - Parameters:
  ///   - csvHeaderRecord: the CSV header line (CSV input), nil under `CSVHeaderPolicy.absent`.
  ///   - firstRecord: the first data record (CSV: to tell numeric from text columns; NDJSON: its
  ///     number fields, for a one-input model that takes a whole row).
  public init(
    signature: ModelSignature, input: TextInputFormat, output: TextOutputFormat, mapping: InputMapping,
    keep: Bool, onError: OnErrorPolicy, maxRecordBytes: Int, csvHeaderRecord: [UInt8]? = nil,
    csvHeaderPolicy: CSVHeaderPolicy = .detect, firstRecord: [UInt8]? = nil
  ) throws(PipeError) {
    self.input = input
    self.output = output
    self.keep = keep
    self.onError = onError
    self.maxRecordBytes = maxRecordBytes
    outputPrefix = mapping.outputPrefix
    inputs = try mapping.missing.apply(to: Self.textInputs(signature, pinned: mapping.pinnedDimensions))
    outputs = try Self.textOutputs(signature, names: mapping.outputNames, prefix: mapping.outputPrefix)
    jsonKeys = Self.jsonKeys(outputs)
    if keep && output == .csv && input == .ndjson {
      throw PipeError(
        .usage, "--keep with --out csv needs --in csv or lines (NDJSON records have no columns)")
    }
    if input == .ndjson {
      for index in inputs.indices where mapping.dataSizedDimensions.contains("\(inputs[index].name):1") {
        let shape = inputs[index].rowShape
        inputs[index].raggedStride = shape.dropFirst().reduce(1, *)
      }
    }
    switch input {
    case .ndjson:
      guard inputs.count <= 64 else {
        throw PipeError(
          .model, "NDJSON input supports models of up to 64 inputs; this one has \(inputs.count)")
      }
      for name in mapping.fields.keys where !inputs.contains(where: { $0.name == name }) {
        throw PipeError(.usage, "--input: the model has no input '\(name)'")
      }
      // The outputs `--keep` writes into each record beside its own keys.
      let added = keep && output == .ndjson ? outputs : []
      decoder = .ndjson(
        NDJSONRecordDecoder(
          inputs: inputs, fields: mapping.fields, reservedKeys: added.map { Array($0.name.utf8) },
          modelFieldKey: added.first(where: \.isModelField).map { Array($0.name.utf8) },
          columns: try Self.ndjsonColumns(inputs: inputs, mapping: mapping, firstRecord: firstRecord)))
      csvHeader = []
      self.csvHeaderRecord = []
    case .lines:
      guard inputs.count == 1, inputs[0].element == .string, inputs[0].rowElements == 1 else {
        let shapes = inputs.map { "\($0.name) \($0.element.rawValue)\($0.rowShape)" }.joined(separator: ", ")
        throw PipeError(
          .model,
          "--in lines needs a model with one string input of one element per row; this one takes \(shapes)")
      }
      decoder = .lines
      csvHeader = []
      self.csvHeaderRecord = []
    case .csv:
      let header = csvHeaderPolicy == .absent ? Self.numberedHeader(firstRecord) : csvHeaderRecord ?? []
      guard header.withUnsafeBytes({ isValidUTF8($0) }) else {
        throw PipeError(.data, "line 1: CSV header is not valid UTF-8\(sniffedHint(header))")
      }
      let parsed = header.withUnsafeBytes { raw -> Result<[[UInt8]], RecordError> in
        do throws(RecordError) {
          return .success(try CSVRecord.fields(raw).map { CSVRecord.value($0, in: raw) })
        } catch {
          return .failure(error)
        }
      }
      let names: [[UInt8]]
      switch parsed {
      case .success(let fields): names = fields
      case .failure(let error): throw PipeError(.data, "line 1: CSV header: \(error.reason)")
      }
      if csvHeaderPolicy == .detect, !names.isEmpty,
        names.allSatisfy({ name in name.withUnsafeBytes { NumberParser.scan($0) != nil } })
      {
        throw PipeError(
          .data,
          "line 1: the first CSV record holds only numbers, so it looks like data, not a header; add --no-header if the input has no header line, or --header if this is one"
        )
      }
      csvHeader = names
      self.csvHeaderRecord = header
      let columns = try CSVColumnChooser(
        inputs: inputs, header: names, firstRecord: firstRecord, mapping: mapping
      )
      .choose()
      decoder = .csv(CSVRecordDecoder(inputs: inputs, columns: columns, fieldCount: names.count))
    }
  }

  /// A format that only writes: another format's (Arrow's) outputs as NDJSON
  /// or CSV, without `--keep`.
  public init(
    writing output: TextOutputFormat, signature: ModelSignature, outputNames: [String]?,
    outputPrefix: String = ""
  )
    throws(PipeError)
  {
    input = .ndjson
    self.output = output
    keep = false
    onError = .fail
    maxRecordBytes = 0
    self.outputPrefix = outputPrefix
    inputs = []
    outputs = try Self.textOutputs(signature, names: outputNames, prefix: outputPrefix)
    jsonKeys = Self.jsonKeys(outputs)
    decoder = .lines
    csvHeader = []
    csvHeaderRecord = []
  }

  /// `1,2,...,n` for a headerless CSV whose first record has n fields: the
  /// names `--columns` and `--input` use, and `--keep` writes.
  static func numberedHeader(_ firstRecord: [UInt8]?) -> [UInt8] {
    let count =
      firstRecord.map { record in record.withUnsafeBytes { (try? CSVRecord.fields($0).count) ?? 1 } } ?? 0
    return Array((0..<count).map { String($0 + 1) }.joined(separator: ",").utf8)
  }

  /// Each output's `"name":`.
  private static func jsonKeys(_ outputs: [TextOutput]) -> [[UInt8]] {
    outputs.map { output in
      var key: [UInt8] = []
      ValueText.appendJSONString(output.name.utf8, to: &key)
      return key + [UInt8(ascii: ":")]
    }
  }

  private static func textInputs(_ signature: ModelSignature, pinned: [String: Int]) throws(PipeError)
    -> [InputRow]
  {
    let inputs = try signature.inputRows(pinned: pinned, format: "text formats")
    if let input = inputs.first(where: { [.float16, .bfloat16].contains($0.element) }) {
      throw PipeError(
        .model, "input '\(input.name)' is \(input.element.rawValue), which text input does not support")
    }
    return inputs
  }

  /// The selected outputs, each named as written: `prefix` then the model's
  /// name, or the `--model-field` name alone.
  private static func textOutputs(_ signature: ModelSignature, names: [String]?, prefix: String)
    throws(PipeError) -> [TextOutput]
  {
    try signature.selectOutputs(names).map { index in
      let spec = signature.outputs[index]
      var elements: Int?
      if case .tensor(_, let shape) = spec.kind {
        var product = 1
        for dim in shape.dropFirst() {
          if case .fixed(let size) = dim { product *= size } else { product = -1 }
        }
        elements = product >= 0 ? product : nil
      }
      return TextOutput(
        index: index, name: signature.writtenName(of: index, prefix: prefix), rowElements: elements,
        mapKeys: nil, isMap: spec.isSequenceOfMaps, isModelField: index == signature.modelField)
    }
  }
}
