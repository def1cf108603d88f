import OnnxPipeCore

/// `--missing auto|nan|error` (one of them) and `--missing NAME=VALUE` (any number).
func missingOption(_ parsed: ParsedArguments) throws(PipeError) -> MissingValuePolicy {
  var policy = MissingValuePolicy()
  var mode: String?
  for item in parsed.values["missing"] ?? [] {
    if let chosen = MissingValuePolicy.Mode(rawValue: item) {
      if let mode, mode != item {
        throw PipeError(.usage, "--missing \(mode) and --missing \(item) contradict each other; give one")
      }
      mode = item
      policy.mode = chosen
      continue
    }
    let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty else {
      throw PipeError(.usage, "--missing: expected auto, nan, error or NAME=VALUE, got '\(item)'")
    }
    let name = String(parts[0])
    guard policy.values[name] == nil else {
      throw PipeError(.usage, "--missing: input '\(name)' is given a value twice")
    }
    policy.values[name] = String(parts[1])
  }
  return policy
}

extension ScoreOptions {
  /// `--missing` with `auto` decided: the inputs whose values reach only
  /// operators that take NaN as missing (an Imputer, a tree ensemble that
  /// tracks missing values), read from the model file's graph. A graph that
  /// cannot be read decides nothing: those inputs then refuse missing values.
  /// Raw frames have no missing values: the graph is not read for them.
  func missingPolicy(for signature: ModelSignature) -> MissingValuePolicy {
    var policy = missing
    if input != "raw", policy.needsModelGraph(signature), let graph = ModelGraph.read(path: modelPath) {
      policy.inputsTreatingNaNAsMissing = graph.inputsTreatingNaNAsMissing(signature.inputs.map(\.name))
    }
    return policy
  }
}
