import OnnxPipeCore

/// `onnxpipe inspect MODEL`: inputs, outputs, producer, opsets and frame layout.
enum InspectCommand {
  static func run(_ parsed: ParsedArguments) throws(PipeError) -> String {
    let path = try singleModel(parsed)
    let pinned = try dimensions(parsed)
    let session = try ModelLoader.load(path: path)
    let signature = OrtEngine(session: session).signature
    // The model as the formats see it (raw frames: half floats as they are).
    let adapter = ModelAdapter(
      OrtEngine(session: session), convertHalfFloats: false, pinnedDimensions: pinned)
    let header = ModelHeader.read(path: path)
    let layout = try? RawFormat(signature: adapter.signature, pinnedDimensions: pinned)
    let outputLayout = try? RawFormat(
      signature: adapter.signature, outputNames: adapter.signature.outputs.map(\.name),
      pinnedDimensions: pinned,
      mapKeys: adapter.mapKeys)
    // Checked at 1, 64 and 1024 rows a run, the default text --batch-size.
    let invariant = BatchCalibration.batchInvariance(engine: adapter, pinnedDimensions: pinned, largest: 1024)
    var calibration: BatchCalibration?
    if parsed.has("calibrate") {
      guard let layout, layout.inputRowBytes != nil else {
        throw PipeError(
          .model, "--calibrate needs a model whose inputs are numeric tensors (pin free sizes with --dim)")
      }
      do {
        calibration = try BatchCalibration.measure(
          engine: adapter, format: layout, workers: onlineProcessors(),
          budgetNanoseconds: 1_000_000_000)
      } catch {
        throw PipeError(.model, "calibration failed: \(error)")
      }
    }
    if parsed.has("json") {
      return json(
        path: path, signature: signature, adapter: adapter, header: header, layout: layout,
        invariant: invariant,
        calibration: calibration)
    }
    var lines = ["model: \(path)"]
    lines.append(
      "identity: \(ModelIdentity.of(path: path) ?? "unknown") (SHA-256 prefix, as --model-field writes it)")
    let producer = "\(signature.producer)\(header.map { " \($0.producerVersion)" } ?? "")"
    lines.append("producer: " + producer.split(whereSeparator: \.isNewline).joined(separator: " "))
    lines.append("graph: \(signature.graphName)")
    if let header {
      lines.append("ir_version: \(header.irVersion)")
      lines.append("opsets: \(opsetNames(header).map { "\($0.0) \($0.1)" }.joined(separator: ", "))")
    }
    lines.append("inputs:")
    lines += signature.inputs.map { "  \($0.name)  \($0.typeDescription)" }
    lines.append("outputs:")
    for spec in signature.outputs {
      var line = "  \(spec.name)  \(spec.typeDescription)"
      if let left = adapter.leftOut.first(where: { $0.name == spec.name }) {
        line += "  (not per row: a run returned \(left.description); left out)"
      } else if let fixed = adapter.correctedOutputs.first(where: { $0.declared.name == spec.name }) {
        line += "  (returns \(fixed.actual.typeDescription): written as that)"
      } else if let index = adapter.signature.outputs.firstIndex(where: { $0.name == spec.name }),
        let keys = adapter.mapKeys[index]
      {
        line += "  (keys \(keys.joined(separator: ", ")))"
      }
      lines.append(line)
    }
    if let fixed = adapter.fixedRows {
      let runs = fixed == 1 ? "one row" : "\(fixed) rows"
      lines.append(
        "rows per run: fixed at \(fixed) by the model (frames and batches are run \(runs) at a time)")
    }
    lines.append("raw frame layout:")
    if let layout {
      lines += layout.describeInputRow().map { "  " + $0 }
      if let outputLayout { lines += outputLayout.describeOutputRow().map { "  " + $0 } }
    } else {
      do { _ = try RawFormat(signature: adapter.signature, pinnedDimensions: pinned) } catch {
        lines.append("  not usable as raw frames: \(error.message)")
      }
    }
    lines.append(
      "batch_invariant: "
        + (invariant.map {
          $0
            ? "yes (a row's outputs are the same bytes alone and in runs of 64 and 1024)"
            : "no (outputs change in the last bits with the rows per run; --deterministic runs one row at a time)"
        }
          ?? "unknown (the check needs numeric inputs and per-row outputs; --deterministic runs one row at a time)")
    )
    if let calibration {
      lines.append(
        "calibration (\(onlineProcessors()) threads at once, as many as the default workers; synthetic rows):"
      )
      for point in calibration.points {
        let rows = String(point.rows)
        lines.append(
          "  " + String(repeating: " ", count: max(0, 5 - rows.count)) + rows + " rows per run: "
            + Format.si(point.rowsPerSecond) + "rows/s")
      }
      lines.append("  best: \(calibration.bestRows) rows per run")
      lines.append(
        calibration.batchInvariant
          ? "  outputs are byte-identical alone and in a batch: --batch-rows auto merges and cuts frames"
          : "  outputs change with the batch size: --batch-rows auto leaves frames as they come")
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
    path: String, signature: ModelSignature, adapter: ModelAdapter, header: ModelHeader?, layout: RawFormat?,
    invariant: Bool?, calibration: BatchCalibration?
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
      "\"identity\":\(JSON.string(ModelIdentity.of(path: path) ?? "unknown"))",
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
    fields.append("\"batch_invariant\":\(invariant.map { String($0) } ?? "null")")
    fields.append("\"fixed_rows\":\(adapter.fixedRows.map(String.init) ?? "null")")
    fields.append(
      "\"outputs_not_per_row\":[\(adapter.leftOut.map { JSON.string($0.name) }.joined(separator: ","))]")
    if let calibration {
      let points = calibration.points.map { "{\"rows\":\($0.rows),\"rows_per_s\":\(Int($0.rowsPerSecond))}" }
      fields.append(
        "\"calibration\":{\"points\":[\(points.joined(separator: ","))],\"best_rows\":\(calibration.bestRows),"
          + "\"batch_invariant\":\(calibration.batchInvariant)}")
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
