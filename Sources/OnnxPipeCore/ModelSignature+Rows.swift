extension TensorSpec {
  /// Whether this is a sequence of maps (skl2onnx's ZipMap output).
  var isSequenceOfMaps: Bool {
    if case .other(let text) = kind { return text.hasPrefix("seq(map(") }
    return false
  }

  /// The element type of a sequence-of-maps output's values (float32 unless it says double).
  var mapValueElement: ElementType {
    if case .other(let text) = kind, text.hasSuffix("tensor(double)))") { return .float64 }
    return .float32
  }

  /// A sequence-of-maps output whose keys are strings (not int64).
  var hasStringMapKeys: Bool {
    if case .other(let text) = kind { return text.hasPrefix("seq(map(string,") }
    return false
  }
}

extension ModelSignature {
  /// Each input's element type and row shape, for formats that build rows
  /// (text, Arrow); `format` names the format in messages.
  public func inputRows(pinned: [String: Int], format: String) throws(PipeError) -> [InputRow] {
    var rows: [InputRow] = []
    for (index, spec) in inputs.enumerated() {
      let (element, row) = try spec.inputRow(pinned: pinned, format: format)
      rows.append(InputRow(index: index, name: spec.name, element: element, rowShape: row))
    }
    if rows.isEmpty { throw PipeError(.model, "the model has no inputs") }
    return rows
  }

  /// The outputs to write (`--outputs`), as indices into `outputs`: the
  /// named ones in that order, or every tensor and sequence-of-maps output;
  /// the `--model-field` output last in both cases, unless named. A name is
  /// the model's output of that name first, the model field's only if the
  /// model has none.
  public func selectOutputs(_ names: [String]?) throws(PipeError) -> [Int] {
    guard let names else {
      return outputs.indices.filter { index in
        if case .other = outputs[index].kind { return outputs[index].isSequenceOfMaps }
        return true
      }
    }
    var selected: [Int] = []
    for name in names {
      guard
        let index = outputs.indices.first(where: { outputs[$0].name == name && $0 != modelField })
          ?? modelField.flatMap({ outputs[$0].name == name ? $0 : nil })
      else {
        let known = outputs.map(\.name).joined(separator: ", ")
        throw PipeError(.usage, "--outputs: the model has no output '\(name)' (it has: \(known))")
      }
      selected.append(index)
    }
    if let modelField, !selected.contains(modelField) { selected.append(modelField) }
    return selected
  }

  /// The name output `index` is written under: `prefix` (`--prefix`) then
  /// the model's name, or the `--model-field` name as it was given.
  public func writtenName(of index: Int, prefix: String) -> String {
    index == modelField ? outputs[index].name : prefix + outputs[index].name
  }
}
