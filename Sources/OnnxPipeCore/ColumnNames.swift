/// How a column (a CSV header field, an Arrow column, an NDJSON record's
/// top-level key) finds the model input it feeds: by the same name, else by
/// the name skl2onnx gives a DataFrame column when it makes it an input.
///
/// skl2onnx (`Topology._generate_unique_name`, 1.19) turns every character
/// that is not a letter, a digit, `_` or `+` into `_` and puts `_` before a
/// leading ASCII digit: `sepal length (cm)` becomes the input
/// `sepal_length__cm_`, `Sepal.Length` becomes `Sepal_Length`, `2nd` becomes
/// `_2nd`; `café` and `a+b` stay as they are. (Names that collide after that
/// get a numeric suffix there; here two columns that reach the same input are
/// an ambiguity to resolve with `--input`.)
enum ColumnNames {
  /// The input name skl2onnx makes of the column `name`.
  static func sanitized(_ name: String) -> String {
    var out = String.UnicodeScalarView()
    for (position, scalar) in name.unicodeScalars.enumerated() {
      if position == 0, ("0"..."9").contains(scalar) { out.append("_") }
      out.append(isKept(scalar) ? scalar : "_")
    }
    return String(out)
  }

  /// Whether the UTF-8 `column` becomes the input named `input` by skl2onnx's
  /// rule, compared as it is decoded (no string is built: this runs on each
  /// NDJSON key that matches no input by name).
  static func sanitized<Column: Sequence<UInt8>>(_ column: Column, equals input: [UInt8]) -> Bool {
    var bytes = column.makeIterator()
    var decoder = UTF8()
    var position = 0
    var first = true
    func expect(_ byte: UInt8) -> Bool {
      guard position < input.count, input[position] == byte else { return false }
      position += 1
      return true
    }
    while true {
      switch decoder.decode(&bytes) {
      case .scalarValue(let scalar):
        if first, ("0"..."9").contains(scalar), !expect(UInt8(ascii: "_")) { return false }
        first = false
        if isKept(scalar) {
          for byte in UTF8.encode(scalar)! where !expect(byte) { return false }
        } else if !expect(UInt8(ascii: "_")) {
          return false
        }
      case .emptyInput:
        return position == input.count
      case .error:
        return false
      }
    }
  }

  /// A letter or number (Python's `\w`: what `str.isalnum()` accepts), `_` or `+`.
  private static func isKept(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.isASCII {
      let byte = UInt8(scalar.value)
      return (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "+")
    }
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
    default: return scalar.properties.numericType != nil
    }
  }

  /// The column among `columns` that feeds `input`: the one of its name, else
  /// the only one that becomes its name by skl2onnx's rule; nil when none
  /// does. Two columns that both become its name are an error naming them.
  /// - Parameter kind: how the format calls a column in the message (`CSV column`).
  static func find(_ input: String, in columns: [String], kind: String) throws(PipeError) -> Int? {
    if let exact = columns.firstIndex(of: input) { return exact }
    let candidates = columns.indices.filter { sanitized(columns[$0]) == input }
    guard candidates.count <= 1 else {
      let names = candidates.map { "'\(columns[$0])'" }.joined(separator: ", ")
      throw PipeError(.usage, ambiguity(input, names, kind: kind))
    }
    return candidates.first
  }

  /// Several columns become `input`'s name: which, and how to choose.
  static func ambiguity(_ input: String, _ quotedColumns: String, kind: String) -> String {
    let placeholder = kind.split(separator: " ").last!.uppercased()
    return
      "\(kind)s \(quotedColumns) all become input '\(input)' by skl2onnx's naming; choose one with --input \(input)=\(placeholder)"
  }

  /// `'a', 'b', 'c'`, the first `limit` of them and how many more.
  static func quoted(_ names: [String], limit: Int = 20) -> String {
    let shown = names.prefix(limit).map { "'\($0)'" }.joined(separator: ", ")
    return names.count > limit ? shown + " and \(names.count - limit) more" : shown
  }

  /// The message for inputs left without a column: which inputs, and which columns fed none.
  /// - Parameters:
  ///   - kind: `CSV column`, `column`, `field`.
  ///   - placeholder: `COLUMN` or `FIELD`, in the `--input` to suggest.
  /// - Parameter advice: what to do instead of `map it with --input NAME=PLACEHOLDER`.
  static func unmapped(
    inputs: [String], unused: [String], kind: String, placeholder: String, advice: String? = nil
  ) -> String {
    let subject = inputs.count == 1 ? "input \(quoted(inputs)) finds" : "inputs \(quoted(inputs)) find"
    let left =
      unused.isEmpty ? "every \(kind) feeds an input" : "\(kind)s that feed no input: \(quoted(unused))"
    let option = "--input \(inputs.count == 1 ? inputs[0] : "NAME")=\(placeholder)"
    return "the model's \(subject) no \(kind) (\(left)); "
      + (advice ?? "map \(inputs.count == 1 ? "it" : "them") with \(option)")
  }
}

/// `--input NAME=FIELD`'s FIELD: a name, or for NDJSON a path of names
/// separated by dots (`features.x`). `\.` is a dot inside a name
/// (`Sepal\.Length`, the key R writes for `Sepal.Length`) and `\\` a backslash.
enum FieldPath {
  /// The names along the path (NDJSON).
  static func components(_ field: String) -> [String] {
    var parts: [String] = []
    var current = ""
    var escaped = false
    for character in field {
      if escaped {
        if character != "." && character != "\\" { current.append("\\") }
        current.append(character)
        escaped = false
      } else if character == "\\" {
        escaped = true
      } else if character == "." {
        parts.append(current)
        current = ""
      } else {
        current.append(character)
      }
    }
    if escaped { current.append("\\") }
    parts.append(current)
    return parts
  }

  /// A path of the one name `name` (an input's own name, read as one key).
  static func escaped(_ name: String) -> String {
    var path = ""
    for character in name {
      if character == "." || character == "\\" { path.append("\\") }
      path.append(character)
    }
    return path
  }

  /// The field as one name (a CSV or Arrow column): escapes undone, dots kept.
  static func name(_ field: String) -> String {
    components(field).joined(separator: ".")
  }
}
