/// `--help` text, generated from the option table.
enum Help {
  static let version = "0.1.0"

  static func text(for command: Command) -> String {
    var lines: [String] = []
    switch command {
    case .score:
      lines += [
        "onnxpipe: score record batches on stdin with an ONNX model, in order, on parallel workers",
        "",
        "usage: onnxpipe [OPTIONS] MODEL < FRAMES > PREDICTIONS",
        "       onnxpipe inspect [--json] MODEL",
        "       onnxpipe bench [OPTIONS] MODEL",
        "",
        "Input: raw frames, each a u32 little-endian payload length and the payload (N rows of every",
        "input, little-endian, row-major, inputs in model order). Output: one frame per input frame,",
        "same order, holding the selected outputs' blocks. 'onnxpipe inspect MODEL' shows the layout.",
      ]
    case .inspect:
      lines += [
        "onnxpipe inspect: show a model's inputs, outputs, producer, opsets and raw frame layout",
        "", "usage: onnxpipe inspect [--json] [--dim NAME=SIZE] MODEL",
      ]
    case .bench:
      lines += [
        "onnxpipe bench: the model alone through the ONNX Runtime C API in a tight loop (no I/O):",
        "the speed limit for this model on this machine",
        "", "usage: onnxpipe bench [--rows N] [--batch N] [-j N] [--intra-threads N] [--json] MODEL",
      ]
    }
    lines += ["", "options:"]
    for spec in OptionSpec.table where spec.commands.contains(command) {
      var name = spec.short.map { "-\($0), " } ?? "    "
      name += "--\(spec.long)"
      if let value = spec.value { name += " \(value)" }
      let padded = name.count < 26 ? name + String(repeating: " ", count: 26 - name.count) : name + "  "
      lines.append("  " + padded + spec.help)
    }
    lines += [
      "",
      "exit status: 0 ok, 64 usage, 65 bad input or failed run, 66 model not found,",
      "74 I/O error, 78 model unusable, 130/143 interrupted (output flushed first).",
      "See 'man onnxpipe' for the frame format and examples.",
    ]
    return lines.joined(separator: "\n") + "\n"
  }
}
