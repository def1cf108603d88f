extension ModelGraph {
  /// The inputs among `names` that the model treats NaN in as a missing
  /// value: every path their values take, through operators that only move
  /// data (`Concat`, `Reshape`, a `Cast` to a float type...), ends in an
  /// `ai.onnx.ml` `Imputer` that replaces NaN, or in a tree ensemble whose
  /// nodes say where a missing value goes (`nodes_missing_value_tracks_true`,
  /// as LightGBM, XGBoost and scikit-learn trees are converted). An input that
  /// also reaches any other operator, or a graph output, is not one of them:
  /// a NaN there would come out as a NaN score, or worse, a plausible one; nor
  /// is one that reaches no operator at all.
  public func inputsTreatingNaNAsMissing(_ names: [String]) -> Set<String> {
    var consumers: [String: [(node: Int, position: Int)]] = [:]
    for (index, node) in nodes.enumerated() {
      for (position, input) in node.inputs.enumerated() where !input.isEmpty {
        consumers[input, default: []].append((index, position))
      }
    }
    let graphOutputs = Set(outputs)
    var result: Set<String> = []
    for name in names where reachesOnlyMissingAwareNodes(name, consumers, graphOutputs) {
      result.insert(name)
    }
    return result
  }

  private func reachesOnlyMissingAwareNodes(
    _ name: String, _ consumers: [String: [(node: Int, position: Int)]], _ graphOutputs: Set<String>
  ) -> Bool {
    var pending = [name]
    var seen: Set<String> = [name]
    var reached = false
    while let tensor = pending.popLast() {
      if graphOutputs.contains(tensor) { return false }
      for (index, position) in consumers[tensor] ?? [] {
        let node = nodes[index]
        if Self.takesNaNAsMissing(node, position: position) {
          reached = true
          continue
        }
        guard Self.passesNaNOn(node, position: position) else { return false }
        for output in node.outputs where !output.isEmpty && seen.insert(output).inserted {
          pending.append(output)
        }
      }
    }
    return reached
  }

  /// Whether `node` reads a NaN at input `position` as a missing value.
  static func takesNaNAsMissing(_ node: Node, position: Int) -> Bool {
    guard position == 0, node.domain == "ai.onnx.ml" else { return false }
    switch node.opType {
    case "Imputer":
      return node.replacedValueFloat?.isNaN == true
    case "TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble":
      return node.attributes.contains("nodes_missing_value_tracks_true")
    default:
      return false
    }
  }

  /// Whether `node` hands a NaN at input `position` on unchanged: it moves,
  /// joins or reshapes values (a NaN in its indices or shape input is not that).
  static func passesNaNOn(_ node: Node, position: Int) -> Bool {
    switch (node.domain, node.opType) {
    case ("", "Concat"), ("ai.onnx", "Concat"), ("ai.onnx.ml", "FeatureVectorizer"):
      return true
    case ("", "Cast"), ("ai.onnx", "Cast"):
      // FLOAT, FLOAT16, DOUBLE, BFLOAT16: a cast to an integer type has no NaN.
      return position == 0 && [1, 10, 11, 16].contains(node.castTo ?? 0)
    case ("ai.onnx.ml", "ArrayFeatureExtractor"):
      return position == 0
    case ("", let op), ("ai.onnx", let op):
      let moves: Set<String> = [
        "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Slice", "Gather",
        "GatherElements", "Split", "Expand", "Tile",
      ]
      return position == 0 && moves.contains(op)
    default:
      return false
    }
  }
}
