/// The model as every format sees it, whatever the converter wrote: an
/// `InferenceEngine` over the real one that evens out what users' models do
/// differently, once, for every reader and writer.
///
/// - A first input dimension fixed to k (`torch.onnx.export` without
///   `dynamic_axes` writes 1) becomes a free batch dimension: calls are cut
///   into runs of exactly k rows, the last one padded with zeros (empty
///   strings), and the padding's outputs dropped.
/// - float16 and bfloat16 tensors appear as float32 (text and Arrow formats),
///   converted on the way in (rounding to nearest even) and out.
/// - Output shapes come from a probe run where the declaration disagrees
///   (CatBoost declares `[N]` and returns `[N,1]`; LightGBM declares `[1]`
///   and returns `[N]`).
/// - Outputs that are not one row per input row (a scalar, a fixed block)
///   are left out of the signature: no format can write them per record.
///
/// ```
///   format --(float32, N rows)--> ModelAdapter --(float16, runs of k rows)--> ONNX Runtime
/// ```
public struct ModelAdapter: InferenceEngine {
  /// An output left out because it is not per row, with the shape a probe run returned.
  public struct LeftOut: Sendable, Equatable {
    public let name: String
    public let description: String
  }

  public let base: any InferenceEngine
  public let signature: ModelSignature
  /// The model's fixed rows per run, or nil when it takes any number.
  public let fixedRows: Int?
  /// Outputs not in `signature` because they are not per row.
  public let leftOut: [LeftOut]
  /// The keys of each sequence-of-maps output (ZipMap), by index in `signature`, from the probe run.
  public let mapKeys: [Int: [String]]
  /// The model's output shapes where a probe run contradicted the declared ones.
  public let correctedOutputs: [(declared: TensorSpec, actual: TensorSpec)]
  /// For each output of `signature`, the model's output index.
  private let outputMap: [Int]
  /// Inputs run as float16 or bfloat16 but shown as float32, by input index.
  private let halfInputs: [Int: ElementType]
  /// Outputs (of `signature`) returned as float16 or bfloat16 and shown as float32.
  private let halfOutputs: [Int: ElementType]
  /// For a fixed-size model, each tensor output's element type and shape in a run (model index),
  /// from the probe: what a `RunRepeater` needs to make its output tensors once.
  private let runShapes: [Int: (element: ElementType, shape: [Int])]

  /// Adapts `base`. A probe run on zeros (with `pinnedDimensions` for free
  /// row dimensions) finds the outputs' real shapes; when it cannot run, the
  /// declarations stand.
  /// - Parameter convertHalfFloats: show float16/bfloat16 as float32 (text
  ///   and Arrow formats; raw frames carry the model's own bytes).
  public init(_ base: any InferenceEngine, convertHalfFloats: Bool, pinnedDimensions: [String: Int] = [:]) {
    self.base = base
    let declared = base.signature
    var fixed: Int?
    for spec in declared.inputs {
      if case .tensor(_, let shape) = spec.kind, case .fixed(let size)? = shape.first, size >= 1 {
        fixed = fixed.map { min($0, size) } ?? size
      }
    }
    fixedRows = fixed
    var halfInputs: [Int: ElementType] = [:]
    let inputs = declared.inputs.enumerated().map { index, spec -> TensorSpec in
      guard case .tensor(var element, var shape) = spec.kind else { return spec }
      if fixed != nil, !shape.isEmpty { shape[0] = .symbolic("N") }
      if convertHalfFloats, element == .float16 || element == .bfloat16 {
        halfInputs[index] = element
        element = .float32
      }
      return TensorSpec(name: spec.name, kind: .tensor(element, shape))
    }
    self.halfInputs = halfInputs
    let probeRows = fixed ?? 2
    let probe = Self.probe(base, declared, rows: probeRows, pinned: pinnedDimensions)
    var outputs: [TensorSpec] = []
    var outputMap: [Int] = []
    var leftOut: [LeftOut] = []
    var corrected: [(TensorSpec, TensorSpec)] = []
    var halfOutputs: [Int: ElementType] = [:]
    var mapKeys: [Int: [String]] = [:]
    for (index, spec) in declared.outputs.enumerated() {
      var shown = spec
      if let result = probe?[index] {
        guard result.rowCount == probeRows, !result.shape.isEmpty || result.isMaps else {
          leftOut.append(
            LeftOut(
              name: spec.name,
              description:
                "\(result.element.rawValue)[\(result.shape.map(String.init).joined(separator: ","))] for \(probeRows) rows"
            )
          )
          continue
        }
        if case .maps(let maps) = result.contents, let first = maps.first {
          mapKeys[outputs.count] = first.map(\.key)
        }
        if case .tensor(let element, let shape) = spec.kind, !Self.agrees(shape, result.shape) {
          shown = TensorSpec(
            name: spec.name,
            kind: .tensor(element, [.symbolic("N")] + result.shape.dropFirst().map { .fixed($0) }))
          corrected.append((spec, shown))
        }
      }
      if fixed != nil, case .tensor(let element, var shape) = shown.kind, !shape.isEmpty {
        shape[0] = .symbolic("N")
        shown = TensorSpec(name: shown.name, kind: .tensor(element, shape))
      }
      if convertHalfFloats, case .tensor(let element, let shape) = shown.kind,
        element == .float16 || element == .bfloat16
      {
        halfOutputs[outputs.count] = element
        shown = TensorSpec(name: shown.name, kind: .tensor(.float32, shape))
      }
      outputs.append(shown)
      outputMap.append(index)
    }
    var runShapes: [Int: (element: ElementType, shape: [Int])] = [:]
    if fixed != nil, let probe {
      for (index, result) in probe.enumerated() where !result.isMaps && result.element != .string {
        runShapes[index] = (result.element, result.shape)
      }
    }
    self.runShapes = runShapes
    self.outputMap = outputMap
    self.leftOut = leftOut
    self.mapKeys = mapKeys
    self.correctedOutputs = corrected
    self.halfOutputs = halfOutputs
    signature = ModelSignature(
      inputs: inputs, outputs: outputs, producer: declared.producer, graphName: declared.graphName)
  }

  public func run(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    let modelOutputs = outputs.map { outputMap[$0] }
    var results: [OutputTensor]
    if halfInputs.isEmpty {
      results = try runInRuns(inputs, outputs: modelOutputs)
    } else {
      // A half-float model: its inputs copied, the float32 ones narrowed (a copy either way).
      let owned = inputs.indices.map { inputs[$0].owned(narrowingTo: halfInputs[$0]) }
      results = try owned.withBorrowedTensors { try runInRuns($0, outputs: modelOutputs) }
    }
    for (position, index) in outputs.enumerated() {
      guard let element = halfOutputs[index], case .bytes(let raw) = results[position].contents else {
        continue
      }
      results[position] = OutputTensor(
        element: .float32, shape: results[position].shape,
        contents: .bytes(HalfFloat.widen(raw, from: element)))
    }
    return results
  }

  /// The model run on `inputs` in runs of its fixed size, the last one padded.
  private func runInRuns(_ inputs: [InputTensor], outputs: [Int]) throws -> [OutputTensor] {
    let rows = inputs.first?.shape.first ?? 0
    guard let size = fixedRows, rows != size, rows > 0 else { return try base.run(inputs, outputs: outputs) }
    if let results = try repeatedRuns(inputs, outputs: outputs, rows: rows, size: size) { return results }
    return try OnnxPipeCore.runInRuns(base, inputs, outputs: outputs, size: size)
  }

  /// The runs of `runInRuns` through a `RunRepeater` (tensors made once, rows copied in and out),
  /// or nil when the engine or these tensors cannot (strings, maps, unknown shapes).
  private func repeatedRuns(_ inputs: [InputTensor], outputs: [Int], rows: Int, size: Int) throws
    -> [OutputTensor]?
  {
    guard let engine = base as? any RepeatingEngine else { return nil }
    var inputShapes: [(ElementType, [Int])] = []
    var inputBytes: [UnsafeRawBufferPointer] = []
    for input in inputs {
      guard case .bytes(let raw) = input.contents else { return nil }
      inputShapes.append((input.element, [size] + input.shape.dropFirst()))
      inputBytes.append(raw)
    }
    var outputShapes: [(index: Int, element: ElementType, shape: [Int])] = []
    for index in outputs {
      guard let run = runShapes[index], run.shape.first == size else { return nil }
      outputShapes.append((index, run.element, run.shape))
    }
    guard let repeater = engine.repeater(inputs: inputShapes, outputs: outputShapes) else { return nil }
    let rowBytes = inputBytes.map { $0.count / rows }
    let outputRowBytes = outputShapes.map { $0.shape.dropFirst().reduce(1, *) * ($0.element.byteWidth ?? 0) }
    var collected = outputRowBytes.map { width -> [UInt8] in
      var bytes: [UInt8] = []
      bytes.reserveCapacity(width * rows)
      return bytes
    }
    for start in stride(from: 0, to: rows, by: size) {
      let count = min(size, rows - start)
      for (index, raw) in inputBytes.enumerated() {
        let target = repeater.input(index)
        let bytes = UnsafeRawBufferPointer(
          rebasing: raw[(start * rowBytes[index])..<((start + count) * rowBytes[index])])
        target.copyMemory(from: bytes)
        if count < size {
          // The last, short run: padded with zeros, the padding's outputs dropped below.
          UnsafeMutableRawBufferPointer(rebasing: target[bytes.count...]).initializeMemory(
            as: UInt8.self, repeating: 0)
        }
      }
      try repeater.run()
      for position in outputShapes.indices {
        collected[position].append(
          contentsOf: UnsafeRawBufferPointer(
            rebasing: repeater.output(position)[..<(count * outputRowBytes[position])]))
      }
    }
    return outputShapes.enumerated().map { position, output in
      OutputTensor(
        element: output.element, shape: [rows] + output.shape.dropFirst(),
        contents: .bytes(collected[position]))
    }
  }

  /// Whether a returned shape fits the declared one: same rank, fixed sizes equal.
  static func agrees(_ declared: [Dimension], _ actual: [Int]) -> Bool {
    guard declared.count == actual.count else { return false }
    if case .fixed(let rows)? = declared.first, rows != actual.first { return false }
    for (dim, size) in zip(declared, actual).dropFirst() {
      if case .fixed(let fixed) = dim, fixed != size { return false }
    }
    return true
  }

  /// One run on `rows` rows of zeros (empty strings), or nil when it cannot run.
  private static func probe(
    _ engine: any InferenceEngine, _ signature: ModelSignature, rows: Int, pinned: [String: Int]
  ) -> [OutputTensor]? {
    var zeros: [OwnedInput] = []
    for spec in signature.inputs {
      guard let (element, row) = try? spec.inputRow(pinned: pinned, format: "a probe") else { return nil }
      let count = rows * row.reduce(1, *)
      zeros.append(
        OwnedInput(
          element: element, shape: [rows] + row,
          bytes: [UInt8](repeating: 0, count: (element.byteWidth ?? 0) * count),
          strings: element == .string ? [String](repeating: "", count: count) : []))
    }
    return try? zeros.withBorrowedTensors { try engine.run($0, outputs: Array(signature.outputs.indices)) }
  }
}

extension OutputTensor {
  var isMaps: Bool {
    if case .maps = contents { return true }
    return false
  }
}
