import OnnxPipeCore

/// `onnxpipe inspect MODEL`: inputs, outputs, producer, opsets and frame layout.
enum InspectCommand {
  static func run(_ parsed: ParsedArguments) throws(PipeError) -> String {
    let path = try singleModel(parsed)
    let pinned = try dimensions(parsed)
    let session = try ModelLoader.load(path: path)
    let signature = OrtEngine(session: session).signature
    let header = ModelHeader.read(path: path)
    let layout = try? RawFormat(signature: signature, pinnedDimensions: pinned)
    if parsed.has("json") {
      return json(path: path, signature: signature, header: header, layout: layout)
    }
    var lines = ["model: \(path)"]
    lines.append("producer: \(signature.producer)\(header.map { " \($0.producerVersion)" } ?? "")")
    lines.append("graph: \(signature.graphName)")
    if let header {
      lines.append("ir_version: \(header.irVersion)")
      lines.append("opsets: \(opsetNames(header).map { "\($0.0) \($0.1)" }.joined(separator: ", "))")
    }
    lines.append("inputs:")
    lines += signature.inputs.map { "  \($0.name)  \($0.typeDescription)" }
    lines.append("outputs:")
    lines += signature.outputs.map { "  \($0.name)  \($0.typeDescription)" }
    lines.append("raw frame layout:")
    if let layout {
      lines += layout.describeInputRow().map { "  " + $0 }
    } else {
      do { _ = try RawFormat(signature: signature, pinnedDimensions: pinned) } catch {
        lines.append("  not usable as raw frames: \(error.message)")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Opset imports by domain name ("" is "ai.onnx"), each domain once, sorted.
  private static func opsetNames(_ header: ModelHeader) -> [(String, Int64)] {
    var seen: [String: Int64] = [:]
    for opset in header.opsets {
      let name = opset.domain.isEmpty ? "ai.onnx" : opset.domain
      seen[name] = max(seen[name] ?? 0, opset.version)
    }
    return seen.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
  }

  private static func json(
    path: String, signature: ModelSignature, header: ModelHeader?, layout: RawFormat?
  ) -> String {
    func specs(_ list: [TensorSpec]) -> String {
      "["
        + list.map { spec in
          var fields = [
            "\"name\":\(JSON.string(spec.name))", "\"type\":\(JSON.string(spec.typeDescription))",
          ]
          if case .tensor(let element, let shape) = spec.kind {
            fields.append("\"element\":\(JSON.string(element.rawValue))")
            fields.append(
              "\"shape\":["
                + shape.map { dim in
                  switch dim {
                  case .fixed(let size): String(size)
                  case .symbolic(let name): JSON.string(name)
                  }
                }.joined(separator: ",") + "]")
          }
          return "{" + fields.joined(separator: ",") + "}"
        }.joined(separator: ",") + "]"
    }
    var fields = [
      "\"model\":\(JSON.string(path))",
      "\"producer\":\(JSON.string(signature.producer))",
      "\"graph\":\(JSON.string(signature.graphName))",
      "\"inputs\":\(specs(signature.inputs))",
      "\"outputs\":\(specs(signature.outputs))",
    ]
    if let header {
      fields.append("\"ir_version\":\(header.irVersion)")
      fields.append(
        "\"opsets\":{" + opsetNames(header).map { "\(JSON.string($0.0)):\($0.1)" }.joined(separator: ",")
          + "}")
    }
    if let layout {
      fields.append("\"raw_row_bytes\":\(layout.inputRowBytes.map(String.init) ?? "null")")
    }
    return "{" + fields.joined(separator: ",") + "}\n"
  }
}

/// Minimal JSON text helpers for our own output.
enum JSON {
  /// `text` as a JSON string literal.
  static func string(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
