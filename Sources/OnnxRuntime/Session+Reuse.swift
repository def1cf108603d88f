import COnnxRuntime

/// A model run over and over on tensors of one shape (a model whose batch
/// dimension is fixed), reusing its input and output tensors: each run
/// writes its rows into `input(i)`, calls `run()`, and reads `output(i)`.
/// Per run that saves the input and output values' creation, the outputs'
/// type queries and a copy, which for a one-row run of a small model cost as
/// much as the model. One per thread: the buffers are its own.
public final class ReusedRun: @unchecked Sendable {
  // @unchecked Sendable: used by one thread at a time (a worker's batch); the buffers are private.
  private let session: Session
  private let inputBuffers: [UnsafeMutableRawBufferPointer]
  private let outputBuffers: [UnsafeMutableRawBufferPointer]
  private let inputs: [Value]
  private let outputs: [Value]
  private let outputIndices: [Int]

  /// - Parameters:
  ///   - inputs: each model input's element type and shape (model order).
  ///   - outputs: the outputs to run, as model output indices, with their element types and shapes.
  public init(
    session: Session, inputs: [(TensorElementType, [Int])], outputs: [(index: Int, TensorElementType, [Int])]
  ) throws(ORTError) {
    func allocate(_ element: TensorElementType, _ shape: [Int]) throws(ORTError)
      -> UnsafeMutableRawBufferPointer
    {
      guard let width = element.byteWidth else {
        throw ORTError(code: .invalidArgument, message: "reused runs take fixed-width tensors only")
      }
      let buffer = UnsafeMutableRawBufferPointer.allocate(
        byteCount: max(shape.reduce(1, *) * width, 1), alignment: 64)
      buffer.initializeMemory(as: UInt8.self, repeating: 0)
      return UnsafeMutableRawBufferPointer(rebasing: buffer[..<(shape.reduce(1, *) * width)])
    }
    self.session = session
    var inputBuffers: [UnsafeMutableRawBufferPointer] = []
    var outputBuffers: [UnsafeMutableRawBufferPointer] = []
    var inputValues: [Value] = []
    var outputValues: [Value] = []
    do throws(ORTError) {
      for (element, shape) in inputs {
        let buffer = try allocate(element, shape)
        inputBuffers.append(buffer)
        inputValues.append(
          try Value.tensor(borrowing: UnsafeRawBufferPointer(buffer), elementType: element, shape: shape))
      }
      for (_, element, shape) in outputs {
        let buffer = try allocate(element, shape)
        outputBuffers.append(buffer)
        outputValues.append(try Value.tensor(writingInto: buffer, elementType: element, shape: shape))
      }
    } catch {
      (inputBuffers + outputBuffers).forEach { $0.deallocate() }
      throw error
    }
    self.inputBuffers = inputBuffers
    self.outputBuffers = outputBuffers
    self.inputs = inputValues
    self.outputs = outputValues
    outputIndices = outputs.map(\.index)
  }

  deinit {
    (inputBuffers + outputBuffers).forEach { $0.deallocate() }
  }

  /// Input `index`'s bytes, to fill before `run()`.
  public func input(_ index: Int) -> UnsafeMutableRawBufferPointer { inputBuffers[index] }

  /// Output `position`'s bytes (in the order given at init), valid after `run()` until the next.
  public func output(_ position: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(outputBuffers[position])
  }

  /// Runs the model on the input buffers into the output buffers.
  public func run() throws(ORTError) {
    try session.run(inputs, outputIndices: outputIndices, into: outputs)
  }
}
