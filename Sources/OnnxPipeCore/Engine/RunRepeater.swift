/// Runs of one fixed shape made over and over with the same tensors: each
/// run's rows are written into `input(i)`, `run()` runs the model, and its
/// results are read from `output(i)` (valid until the next run). For a
/// model whose batch is fixed, that is most of the cost saved per run.
public protocol RunRepeater: AnyObject {
  func input(_ index: Int) -> UnsafeMutableRawBufferPointer
  func run() throws
  func output(_ position: Int) -> UnsafeRawBufferPointer
}

/// An engine that can repeat runs of one shape reusing its tensors.
public protocol RepeatingEngine: InferenceEngine {
  /// A repeater for inputs of these element types and shapes (model order) and these outputs
  /// (model indices, element types and shapes), or nil when the engine cannot make one.
  func repeater(inputs: [(ElementType, [Int])], outputs: [(index: Int, element: ElementType, shape: [Int])])
    -> (any RunRepeater)?
}
