/// What a missing value in the input becomes (`--missing`): a JSON `null` or
/// `NaN`, a CSV field that is empty or one of `MissingValuePolicy.csvSpellings`,
/// an Arrow null value.
///
/// Floating-point inputs can carry a missing value as NaN, which imputers and
/// tree ensembles read as "missing"; other element types have no such value,
/// so they need one given (`--missing age=0`).
public struct MissingValuePolicy: Sendable, Equatable {
  /// The policy for floating-point inputs without a value of their own.
  public enum Mode: String, Sendable, CaseIterable {
    /// NaN where the model treats NaN as missing (`inputsTreatingNaNAsMissing`); refused elsewhere.
    case auto
    /// NaN in every floating-point input.
    case nan
    /// Refused everywhere (a bad record).
    case error
  }

  public var mode: Mode
  /// `--missing NAME=VALUE`: the value, as text, a missing value of input NAME becomes.
  public var values: [String: String]
  /// For `auto`: the inputs the model treats NaN in as missing (`ModelGraph.inputsTreatingNaNAsMissing`).
  public var inputsTreatingNaNAsMissing: Set<String>

  /// The CSV fields, besides an empty one, that mean "missing" where a number
  /// is due: R's `NA`, `NaN` (Spark, Java), `nan` (numpy, Python), `NULL` and
  /// `null` (SQL and JavaScript exports).
  public static let csvSpellings = ["NA", "NaN", "nan", "NULL", "null"]

  public init(
    mode: Mode = .auto, values: [String: String] = [:], inputsTreatingNaNAsMissing: Set<String> = []
  ) {
    self.mode = mode
    self.values = values
    self.inputsTreatingNaNAsMissing = inputsTreatingNaNAsMissing
  }

  /// Whether deciding needs the model's graph: `auto`, and a floating-point
  /// input without a value of its own.
  public func needsModelGraph(_ signature: ModelSignature) -> Bool {
    mode == .auto
      && signature.inputs.contains { spec in
        guard case .tensor(let element, _) = spec.kind else { return false }
        return element.isFloatingPoint && values[spec.name] == nil
      }
  }

  /// `inputs`, each with what a missing value becomes in it.
  public func apply(to inputs: [InputRow]) throws(PipeError) -> [InputRow] {
    for name in values.keys.sorted() where !inputs.contains(where: { $0.name == name }) {
      throw PipeError(
        .usage,
        "--missing \(name)=...: the model has no input '\(name)' (it has: \(inputs.map(\.name).joined(separator: ", ")))"
      )
    }
    var result: [InputRow] = []
    for var input in inputs {
      input.missing = try fill(for: input)
      result.append(input)
    }
    return result
  }

  private func fill(for input: InputRow) throws(PipeError) -> MissingFill {
    if let text = values[input.name] { return try Self.parse(text, for: input) }
    let element = input.element
    if element.isFloatingPoint {
      switch mode {
      case .nan: return .element(element.nanBytes)
      case .auto where inputsTreatingNaNAsMissing.contains(input.name): return .element(element.nanBytes)
      case .auto: return .refuse(hint: "; add --missing nan if the model treats NaN as missing")
      case .error: return .refuse(hint: " (--missing error)")
      }
    }
    switch mode {
    case .error: return .refuse(hint: " (--missing error)")
    case .nan:
      return .refuse(
        hint:
          "; --missing nan fills floating-point inputs only: give this \(element.rawValue) input a value with --missing \(input.name)=VALUE"
      )
    case .auto:
      return .refuse(hint: "; give this \(element.rawValue) input a value with --missing \(input.name)=VALUE")
    }
  }

  /// `--missing NAME=VALUE`'s value as one element of the input's type.
  static func parse(_ text: String, for input: InputRow) throws(PipeError) -> MissingFill {
    func refuse(_ expected: String) -> PipeError {
      PipeError(
        .usage,
        "--missing \(input.name)=\(text): input '\(input.name)' is \(input.element.rawValue); expected \(expected)"
      )
    }
    let element = input.element
    switch element {
    case .string:
      return .string(text)
    case .bool:
      switch text {
      case "true", "1": return .element([1])
      case "false", "0": return .element([0])
      default: throw refuse("true, false, 1 or 0")
      }
    case .float32, .float64:
      if text.lowercased() == "nan" { return .element(element.nanBytes) }
      guard let value = Double(text), value.isFinite else { throw refuse("a number or nan") }
      return .element(
        element == .float32 ? littleEndianBytes(Float(value).bitPattern) : littleEndianBytes(value.bitPattern)
      )
    case .float16, .bfloat16:
      guard text.lowercased() == "nan" else {
        throw refuse("nan (other values are not supported for this type)")
      }
      return .element(element.nanBytes)
    case .uint64:
      guard let value = UInt64(text) else { throw refuse("a whole number from 0") }
      return .element(littleEndianBytes(value))
    case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32:
      guard let value = Int64(text), let bytes = element.integerBytes(value) else {
        throw refuse("a whole number in its range")
      }
      return .element(bytes)
    }
  }
}

/// What a missing value becomes in one input (`MissingValuePolicy.apply`).
public enum MissingFill: Sendable, Equatable {
  /// It makes the record bad; `hint` ends the message (what to do about it).
  case refuse(hint: String)
  /// One element, as the tensor's little-endian bytes: NaN, or a `--missing NAME=VALUE`.
  case element([UInt8])
  /// A string input's value.
  case string(String)

  /// Whether a missing value is read rather than refused.
  public var fills: Bool {
    if case .refuse = self { return false }
    return true
  }
}

extension InputRow {
  /// Why `what` (`null`, `CSV field 3 is empty`) cannot be this input's value.
  func missingRefusal(_ what: String) -> String {
    guard case .refuse(let hint) = missing else {
      preconditionFailure("input '\(name)' fills missing values")
    }
    return "input '\(name)': \(what) where a value is due\(hint)"
  }
}

extension ElementType {
  /// float32, float64, float16 or bfloat16: the types with a NaN.
  public var isFloatingPoint: Bool { [.float32, .float64, .float16, .bfloat16].contains(self) }

  /// A quiet NaN of this (floating-point) type, little-endian.
  var nanBytes: [UInt8] {
    switch self {
    case .float32: littleEndianBytes(Float.nan.bitPattern)
    case .float64: littleEndianBytes(Double.nan.bitPattern)
    case .float16: littleEndianBytes(UInt16(0x7E00))
    case .bfloat16: littleEndianBytes(UInt16(0x7FC0))
    default: preconditionFailure("\(self) has no NaN")
    }
  }

  /// `value` as one element of this integer type, little-endian; nil when out of range.
  func integerBytes(_ value: Int64) -> [UInt8]? {
    switch self {
    case .int8: Int8(exactly: value).map(littleEndianBytes)
    case .int16: Int16(exactly: value).map(littleEndianBytes)
    case .int32: Int32(exactly: value).map(littleEndianBytes)
    case .int64: littleEndianBytes(value)
    case .uint8: UInt8(exactly: value).map(littleEndianBytes)
    case .uint16: UInt16(exactly: value).map(littleEndianBytes)
    case .uint32: UInt32(exactly: value).map(littleEndianBytes)
    case .uint64: UInt64(exactly: value).map(littleEndianBytes)
    default: nil
    }
  }
}

/// An integer's bytes, least significant first.
func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
  (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
}
