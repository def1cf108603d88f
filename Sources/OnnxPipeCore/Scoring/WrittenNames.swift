/// The one start-up check that no output record holds a name twice, for
/// every format: the `--model-field` name against the outputs' names, and the
/// kept input names (`--keep`) against both. NDJSON input's keys are only
/// known record by record: `NDJSONRecordDecoder` refuses those as it reads
/// them, with `keptKeyMessage`.
public enum WrittenNames {
  /// One selected output as written: its names (a CSV output has one per
  /// column), and whether it is the `--model-field` output.
  public struct Output: Sendable {
    public let names: [String]
    public let isModelField: Bool

    public init(names: [String], isModelField: Bool) {
      self.names = names
      self.isModelField = isModelField
    }
  }

  /// Throws a usage error naming the first clash and the way out of it.
  /// - Parameters:
  ///   - kept: the input names `--keep` copies into each output record.
  ///   - keptWhat: what one of them is, in the message ("the CSV column").
  public static func check(outputs: [Output], kept: [String] = [], keptWhat: String = "") throws(PipeError) {
    let modelField = outputs.first(where: \.isModelField)?.names ?? []
    let others = Set(outputs.filter { !$0.isModelField }.flatMap(\.names))
    if let clash = modelField.first(where: others.contains) {
      throw PipeError(
        .usage,
        "--model-field: '\(clash)' is also the name of an output column, which would then appear twice; give --model-field another name, or rename the outputs with --prefix (e.g. --prefix pred_)"
      )
    }
    if let clash = kept.first(where: modelField.contains) {
      throw PipeError(
        .usage,
        "--keep: \(keptWhat) '\(clash)' has the --model-field name, which would then appear twice; give --model-field another name"
      )
    }
    if let clash = kept.first(where: others.contains) {
      throw PipeError(
        .usage,
        "--keep: \(keptWhat) '\(clash)' has the name of an output column, which would then appear twice; rename the outputs with --prefix (e.g. --prefix pred_)"
      )
    }
  }

  /// The message for an NDJSON record's top-level `key` that an output
  /// (`isModelField`: the `--model-field` field) would repeat under `--keep`.
  static func keptKeyMessage(_ key: String, isModelField: Bool) -> String {
    isModelField
      ? "--keep: the record has a field '\(key)', which --model-field \(key) would repeat; give --model-field another name"
      : "--keep: the record has a field '\(key)', which an output of that name would repeat; rename the outputs with --prefix (e.g. --prefix pred_)"
  }
}
