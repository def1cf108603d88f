import COnnxRuntime

/// Owns one `OrtSession`: a loaded model ready to run.
///
/// Several threads may call `run` on one session at once; ONNX Runtime
/// documents `Run` as thread-safe, which is how onnxpipe shares one model
/// between its workers instead of loading a copy per worker.
public final class Session: @unchecked Sendable {
  // @unchecked Sendable: after init every stored property is immutable, and the
  // only call made on `handle` afterwards is Run, which ONNX Runtime makes thread-safe.
  private let handle: OpaquePointer
  private let environment: Environment
  private let inputNames: [UnsafeMutablePointer<CChar>]
  private let outputNames: [UnsafeMutablePointer<CChar>]

  /// The model's inputs, in model order.
  public let inputs: [ValueInfo]
  /// The model's outputs, in model order.
  public let outputs: [ValueInfo]
  /// The model's metadata (producer, graph name, ...).
  public let metadata: ModelMetadata

  /// The options the session was created with.
  public let options: SessionOptions
  /// The model's bytes when the session was created from memory (`init(modelData:)`), so that
  /// `sibling()` can make another session of exactly this model; nil when loaded from a path.
  public let modelData: [UInt8]?

  /// Loads the model at `path`.
  public convenience init(
    modelPath path: String, options: SessionOptions = SessionOptions(),
    environment: Environment = .shared
  ) throws(ORTError) {
    try self.init(options: options, modelData: nil, environment: environment) { env, optionsHandle, session in
      ort.CreateSession!(env, path, optionsHandle, session)
    }
  }

  /// Loads the model from `modelData` (an `.onnx` file's bytes), which the session keeps for `sibling()`.
  ///
  /// A model whose weights live in external data files cannot be loaded this way (there is no
  /// path to find them from).
  public convenience init(
    modelData: [UInt8], options: SessionOptions = SessionOptions(), environment: Environment = .shared
  ) throws(ORTError) {
    try self.init(options: options, modelData: modelData, environment: environment) {
      env, optionsHandle, session in
      modelData.withUnsafeBytes { bytes in
        ort.CreateSessionFromArray!(env, bytes.baseAddress, bytes.count, optionsHandle, session)
      }
    }
  }

  /// Another session of the same model with the same options and environment: its own kernels
  /// and their state (RE2's caches, locales), so that runs on it share nothing with this one's.
  /// Needs `modelData`.
  public func sibling() throws(ORTError) -> Session {
    guard let modelData else {
      throw ORTError(code: .invalidArgument, message: "a sibling session needs the model's bytes")
    }
    return try Session(modelData: modelData, options: options, environment: environment)
  }

  private init(
    options: SessionOptions, modelData: [UInt8]?, environment: Environment,
    create: (OpaquePointer, OpaquePointer, UnsafeMutablePointer<OpaquePointer?>) -> OpaquePointer?
  ) throws(ORTError) {
    let optionsHandle = try SessionOptionsHandle(options)
    var session: OpaquePointer?
    try environment.withUnsafeHandle { (env) throws(ORTError) in
      try check(create(env, optionsHandle.handle, &session))
    }
    self.handle = session!
    self.environment = environment
    self.options = options
    self.modelData = modelData
    do {
      let (inputNames, inputs) = try Self.namesAndTypes(
        handle, count: ort.SessionGetInputCount!, name: ort.SessionGetInputName!,
        typeInfo: ort.SessionGetInputTypeInfo!)
      let (outputNames, outputs) = try Self.namesAndTypes(
        handle, count: ort.SessionGetOutputCount!, name: ort.SessionGetOutputName!,
        typeInfo: ort.SessionGetOutputTypeInfo!)
      self.inputNames = inputNames
      self.outputNames = outputNames
      self.inputs = inputs
      self.outputs = outputs
      self.metadata = try ModelMetadata(session: handle)
    } catch {
      ort.ReleaseSession!(session)
      throw error
    }
  }

  /// Names (C copies we own) and types of the session's inputs or outputs,
  /// read through the matching trio of C calls.
  private static func namesAndTypes(
    _ handle: OpaquePointer,
    count: (OpaquePointer?, UnsafeMutablePointer<Int>?) -> OpaquePointer?,
    name: (
      OpaquePointer?, Int, UnsafeMutablePointer<OrtAllocator>?,
      UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    )
      -> OpaquePointer?,
    typeInfo: (OpaquePointer?, Int, UnsafeMutablePointer<OpaquePointer?>?) -> OpaquePointer?
  ) throws(ORTError) -> ([UnsafeMutablePointer<CChar>], [ValueInfo]) {
    var total = 0
    try check(count(handle, &total))
    var names: [UnsafeMutablePointer<CChar>] = []
    var infos: [ValueInfo] = []
    for index in 0..<total {
      var raw: UnsafeMutablePointer<CChar>?
      try check(name(handle, index, defaultAllocator, &raw))
      let swiftName = takeAllocatedString(raw)
      names.append(strdup(swiftName))
      var info: OpaquePointer?
      try check(typeInfo(handle, index, &info))
      defer { ort.ReleaseTypeInfo!(info) }
      infos.append(ValueInfo(name: swiftName, type: try describe(typeInfo: info!)))
    }
    return (names, infos)
  }

  deinit {
    ort.ReleaseSession!(handle)
    inputNames.forEach { free($0) }
    outputNames.forEach { free($0) }
  }

  /// Runs the model on `inputs` (one per model input, in model order) and
  /// returns the outputs at `outputIndices`, in that order.
  /// Runs the model into `outputs`, tensors already made over buffers of the
  /// outputs' shapes (ONNX Runtime writes into them instead of allocating).
  public func run(_ inputs: [Value], outputIndices: [Int], into outputs: [Value]) throws(ORTError) {
    let inputHandles: [OpaquePointer?] = inputs.map { $0.handle }
    let inputNamePointers = inputNames.map { UnsafePointer($0) as UnsafePointer<CChar>? }
    let outputNamePointers = outputIndices.map { UnsafePointer(outputNames[$0]) as UnsafePointer<CChar>? }
    var outputHandles: [OpaquePointer?] = outputs.map { $0.handle }
    let status = ort.Run!(
      handle, nil, inputNamePointers, inputHandles, inputHandles.count,
      outputNamePointers, outputNamePointers.count, &outputHandles)
    withExtendedLifetime((inputs, outputs)) {}
    try check(status)
  }

  public func run(_ inputs: [Value], outputIndices: [Int]) throws(ORTError) -> [Value] {
    precondition(
      inputs.count == inputNames.count,
      "model takes \(inputNames.count) inputs, got \(inputs.count)")
    let inputHandles: [OpaquePointer?] = inputs.map { $0.handle }
    let inputNamePointers = inputNames.map { UnsafePointer($0) as UnsafePointer<CChar>? }
    let outputNamePointers = outputIndices.map { UnsafePointer(outputNames[$0]) as UnsafePointer<CChar>? }
    var results = [OpaquePointer?](repeating: nil, count: outputIndices.count)
    let status = ort.Run!(
      handle, nil, inputNamePointers, inputHandles, inputHandles.count,
      outputNamePointers, outputNamePointers.count, &results)
    // Values stay alive until Run returns: `inputs` is still referenced here.
    withExtendedLifetime(inputs) {}
    try check(status)
    return results.map { Value(taking: $0!) }
  }
}
