/// `--help` and `onnxpipe help [COMMAND]` text, generated from the option table
/// and wrapped to fit an 80-column terminal.
enum Help {
  static let version = "0.1.0"

  /// Every line of the help text is at most this many columns.
  static let width = 80

  /// The column where an option's description starts.
  static let descriptionColumn = 28

  static func text(for command: Command) -> String {
    var lines: [String] = []
    switch command {
    case .score:
      lines += wrap("onnxpipe: score record batches on stdin with an ONNX model, in input order")
      lines += [
        "",
        "examples:",
        "  onnxpipe --in csv model.onnx < rows.csv > scored.ndjson",
        "  onnxpipe --in ndjson --keep model.onnx < rows.ndjson > scored.ndjson",
        "  tail -F app.log | onnxpipe --in lines --keep clf.onnx",
        "",
      ]
      lines += wrap("usage: onnxpipe [OPTIONS] MODEL < INPUT > OUTPUT", hangingIndent: 7)
      lines += [
        "       onnxpipe [OPTIONS] MODEL FILE... > OUTPUT   (FILEs in order; - is stdin)",
        "       onnxpipe inspect [OPTIONS] MODEL",
        "       onnxpipe bench [OPTIONS] MODEL",
        "       onnxpipe completions bash | zsh | fish",
        "       onnxpipe help [inspect | bench | completions]",
        "",
      ]
      lines += wrap(
        "Input (--in) is raw tensor frames (the default), an Arrow IPC stream, NDJSON,"
          + " CSV or lines of text; each input record gives one output record, in input order."
          + " A raw frame is a u32 little-endian payload length and the payload (N rows of every"
          + " input, little-endian, row-major, inputs in model order); 'onnxpipe inspect MODEL'"
          + " shows the layout. Binary output (raw frames, Arrow) is not written to a terminal"
          + " unless --force is given.")
    case .inspect:
      lines += wrap("onnxpipe inspect: show a model's inputs, outputs, producer, opsets and raw frame layout")
      lines += ["", "example:", "  onnxpipe inspect model.onnx", ""]
      lines += wrap(
        "usage: onnxpipe inspect [--json] [--calibrate] [--dim NAME=SIZE] MODEL", hangingIndent: 7)
    case .bench:
      lines += wrap(
        "onnxpipe bench: the model alone through the ONNX Runtime C API in a tight loop (no I/O):"
          + " the speed limit for this model on this machine")
      lines += ["", "example:", "  onnxpipe bench --sample rows.bin model.onnx", ""]
      lines += wrap(
        "usage: onnxpipe bench [--rows N] [--batch N] [-j N] [--intra-threads N] [--sample FILE]"
          + " [--sweep] [--json] MODEL", hangingIndent: 7)
    case .completions:
      lines += wrap("onnxpipe completions: print a shell completion script generated from the option table")
      lines += [
        "", "examples:", "  source <(onnxpipe completions bash)", "  onnxpipe completions fish | source",
        "  onnxpipe completions zsh > ~/.zfunc/_onnxpipe", "",
      ]
      lines += wrap("usage: onnxpipe completions bash | zsh | fish", hangingIndent: 7)
    }
    lines += ["", "options:"]
    for spec in OptionSpec.table where spec.commands.contains(command) {
      lines += optionLines(spec)
    }
    lines.append("")
    lines += wrap(
      "exit status: 0 ok, 64 usage, 65 bad input or failed run, 66 model not found,"
        + " 74 I/O error, 78 model unusable, 130/143 interrupted (output flushed first).")
    lines += wrap("See 'man onnxpipe' for the formats and examples.")
    return lines.joined(separator: "\n") + "\n"
  }

  /// `  -j, --workers N           Worker threads ...`: the name, then the
  /// description wrapped under the description column (on the next line
  /// when the name reaches it).
  static func optionLines(_ spec: OptionSpec) -> [String] {
    var name = "  " + (spec.short.map { "-\($0), " } ?? "    ") + "--\(spec.long)"
    if let value = spec.value { name += " \(value)" }
    let indent = String(repeating: " ", count: descriptionColumn)
    var lines = wrap(spec.help, width: width - descriptionColumn).map { indent + $0 }
    if name.count + 2 <= descriptionColumn {
      lines[0] = name + lines[0].dropFirst(name.count)
    } else {
      lines.insert(name, at: 0)
    }
    return lines
  }

  /// `text` broken at spaces into lines of at most `width` columns, every
  /// line after the first indented by `hangingIndent`. A word longer than a
  /// line stays whole on a line of its own.
  static func wrap(_ text: String, width: Int = Help.width, hangingIndent: Int = 0) -> [String] {
    let indent = String(repeating: " ", count: hangingIndent)
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
      if line.isEmpty {
        line = (lines.isEmpty ? "" : indent) + word
      } else if line.count + 1 + word.count <= width {
        line += " " + word
      } else {
        lines.append(line)
        line = indent + word
      }
    }
    if !line.isEmpty || lines.isEmpty { lines.append(line) }
    return lines
  }
}
