import Foundation
import Testing

@testable import OnnxRuntime

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("Fixtures/models")

func load(_ name: String) throws -> Session {
  try StderrFilter.run { try Session(modelPath: fixtures.appendingPathComponent(name).path) }
}

@Suite struct SessionTests {
  @Test func describesInputsOutputsAndMetadata() throws {
    let session = try load("logreg_zipmap.onnx")
    #expect(
      session.inputs == [
        ValueInfo(name: "X", type: .tensor(.float32, shape: [nil, 4], symbolicDimensions: ["", ""]))
      ])
    #expect(session.outputs.map(\.name) == ["output_label", "output_probability"])
    #expect(
      session.outputs[1].type
        == .sequence(.map(key: .int64, value: .tensor(.float32, shape: [], symbolicDimensions: []))))
    #expect(session.metadata.producerName == "skl2onnx")
  }

  @Test func namedSymbolicDimensionsAreReported() throws {
    let session = try load("mixed.onnx")
    #expect(
      session.inputs[1]
        == ValueInfo(name: "k", type: .tensor(.int64, shape: [nil, 1], symbolicDimensions: ["batch", ""])))
  }

  @Test func runsOverBorrowedMemoryAndReturnsOwnedOutputs() throws {
    let session = try load("mixed.onnx")
    let x: [Float] = [1, 2, 3, 4, 5, 6]
    let k: [Int64] = [2, -1]
    let outputs = try x.withUnsafeBytes { xBytes in
      try k.withUnsafeBytes { kBytes in
        try session.run(
          [
            try Value.tensor(borrowing: xBytes, elementType: .float32, shape: [2, 3]),
            try Value.tensor(borrowing: kBytes, elementType: .int64, shape: [2, 1]),
          ], outputIndices: [1, 0])
      }
    }
    #expect(try outputs[0].tensorShape().elementType == .int32)
    #expect(try outputs[0].withUnsafeTensorBytes { Array($0.bindMemory(to: Int32.self)) } == [3, 0])
    #expect(try outputs[1].tensorShape().shape == [2, 3])
    #expect(
      try outputs[1].withUnsafeTensorBytes { Array($0.bindMemory(to: Float.self)) } == [2, 4, 6, -4, -5, -6])
  }

  @Test func stringTensorsRoundTrip() throws {
    let session = try load("strings.onnx")
    // A NUL is a byte like any other in an ONNX string, as in onnxruntime's Python API.
    let words = ["a", "", "héllo wörld", String(repeating: "z", count: 1000), "a\u{0}b", "\u{0}"]
    let x = [Float](repeating: 0.5, count: 12)
    let outputs = try x.withUnsafeBytes { raw in
      try session.run(
        [
          try Value.stringTensor(words, shape: [6]),
          try Value.tensor(borrowing: raw, elementType: .float32, shape: [6, 2]),
        ],
        outputIndices: [0])
    }
    #expect(try outputs[0].stringElements() == words)
  }

  @Test func zipMapOutputIsASequenceOfMaps() throws {
    let session = try load("logreg_zipmap.onnx")
    let x: [Float] = [0.1, 0.2, 0.3, 0.4, 1, 1, 1, 1]
    let outputs = try x.withUnsafeBytes { raw in
      try session.run(
        [try Value.tensor(borrowing: raw, elementType: .float32, shape: [2, 4])], outputIndices: [1])
    }
    #expect(try outputs[0].kind() == .sequence)
    #expect(try outputs[0].elementCount() == 2)
    let map = try outputs[0].element(at: 0)
    #expect(try map.kind() == .map)
    let keys = try map.element(at: 0).withUnsafeTensorBytes { Array($0.bindMemory(to: Int64.self)) }
    let values = try map.element(at: 1).withUnsafeTensorBytes { Array($0.bindMemory(to: Float.self)) }
    #expect(keys == [0, 1, 2])
    #expect(abs(values.reduce(0, +) - 1) < 1e-5)
  }

  @Test func missingModelFileThrowsWithOnnxRuntimesMessage() throws {
    #expect {
      _ = try Session(modelPath: "/nonexistent.onnx")
    } throws: { error in
      guard let error = error as? ORTError else { return false }
      return error.code == .noSuchFile && error.message.contains("/nonexistent.onnx")
    }
  }

  @Test func wrongInputShapeThrowsInsteadOfCrashing() throws {
    let session = try load("logreg.onnx")
    let x = [Float](repeating: 0, count: 6)
    #expect(throws: ORTError.self) {
      try x.withUnsafeBytes { raw in
        try session.run(
          [try Value.tensor(borrowing: raw, elementType: .float32, shape: [2, 3])], outputIndices: [0])
      }
    }
  }

  @Test func concurrentRunsOnOneSessionAgree() throws {
    let session = try load("rf32.onnx")
    let x: [Float] = (0..<(64 * 32)).map { index in Float((index * 7919) % 101) / 50 - 1 }
    @Sendable func score() throws -> [Float] {
      let outputs = try x.withUnsafeBytes { raw in
        try session.run(
          [try Value.tensor(borrowing: raw, elementType: .float32, shape: [64, 32])], outputIndices: [1])
      }
      return try outputs[0].withUnsafeTensorBytes { Array($0.bindMemory(to: Float.self)) }
    }
    let reference = try score()
    let results = Results()
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      let mine = (try? score()) ?? []
      results.append(mine == reference)
    }
    #expect(results.values == Array(repeating: true, count: 8))
  }
}

final class Results: @unchecked Sendable {
  // @unchecked Sendable: every access holds `lock`.
  private let lock = NSLock()
  private var stored: [Bool] = []
  func append(_ value: Bool) { lock.withLock { stored.append(value) } }
  var values: [Bool] { lock.withLock { stored } }
}

@Suite struct StderrFilterTests {
  @Test func overlappingCapturesLeaveStderrWhereItWas() {
    // fd 2 is process-wide: unserialised captures restore each other's temporary file.
    func identity() -> (UInt, UInt) {
      var info = stat()
      fstat(2, &info)
      return (UInt(info.st_dev), UInt(info.st_ino))
    }
    // Other suites load sessions (and capture fd 2) concurrently: look only between captures.
    let before = StderrFilter.betweenCaptures(identity)
    DispatchQueue.concurrentPerform(iterations: 16) { _ in
      StderrFilter.run { _ = usleep(2000) }
    }
    let after = StderrFilter.betweenCaptures(identity)
    #expect(after == before)
  }

  @Test func dropsSchemaNoiseAndItsBlankLinesButKeepsEverythingElse() {
    let noise =
      StderrFilter.noisePrefix
      + "Abs (domain:  version: 1) from file x.cc line 1, but it is already registered"
    let text = "\(noise)\n\n\(noise)\n\nreal warning\n\nafter a blank\n\(noise)\n"
    #expect(StderrFilter.filter(text) == "real warning\n\nafter a blank\n")
    #expect(StderrFilter.filter("\(noise)\n\n") == "")
  }
}
