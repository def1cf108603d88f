extension TensorSpec {
  /// Whether this is a sequence of maps (skl2onnx's ZipMap output).
  var isSequenceOfMaps: Bool {
    if case .other(let text) = kind { return text.hasPrefix("seq(map(") }
    return false
  }

  /// A sequence-of-maps output whose keys are strings (not int64).
  var hasStringMapKeys: Bool {
    if case .other(let text) = kind { return text.hasPrefix("seq(map(string,") }
    return false
  }
}

extension ModelSignature {
  /// The outputs to write (`--outputs`), as indices into `outputs`: the
  /// named ones in that order, or every tensor and sequence-of-maps output.
  func selectOutputs(_ names: [String]?) throws(PipeError) -> [Int] {
    guard let names else {
      return outputs.indices.filter { index in
        if case .other = outputs[index].kind { return outputs[index].isSequenceOfMaps }
        return true
      }
    }
    var selected: [Int] = []
    for name in names {
      guard let index = outputs.firstIndex(where: { $0.name == name }) else {
        let known = outputs.map(\.name).joined(separator: ", ")
        throw PipeError(.usage, "--outputs: the model has no output '\(name)' (it has: \(known))")
      }
      selected.append(index)
    }
    return selected
  }
}
