import Foundation
import Testing

/// One case of Tests/Fixtures/streams/manifest.json, written by generate.py.
struct GoldenCase: Decodable, CustomTestStringConvertible, Sendable {
  struct Output: Decodable, Sendable {
    let name: String
    let type: String
    let rowElements: Int
  }

  let name: String
  let model: String
  let frames: Int
  let rows: Int
  let outputs: [Output]

  var testDescription: String { name }

  static let all: [GoldenCase] = {
    let url = URL(fileURLWithPath: fixture("streams/manifest.json"))
    guard let data = try? Data(contentsOf: url) else { return [] }
    return (try? JSONDecoder().decode([GoldenCase].self, from: data)) ?? []
  }()
}

/// Compares one output frame with onnxruntime's, element by element.
/// Floats within 1e-6 absolute; everything else exactly. Returns a mismatch or nil.
func compare(_ actual: [UInt8], _ expected: [UInt8], outputs: [GoldenCase.Output]) -> String? {
  if outputs.contains(where: { $0.type == "string" }) {
    return actual == expected ? nil : "string payload differs"
  }
  guard actual.count == expected.count else { return "length \(actual.count) != \(expected.count)" }
  let rowBytes = outputs.reduce(0) { $0 + $1.rowElements * width($1.type) }
  let rows = rowBytes == 0 ? 0 : actual.count / rowBytes
  var offset = 0
  for output in outputs {
    let count = rows * output.rowElements
    let size = width(output.type)
    if output.type == "float32" {
      for index in 0..<count {
        let a = actual.withUnsafeBytes {
          $0.loadUnaligned(fromByteOffset: offset + index * 4, as: Float.self)
        }
        let e = expected.withUnsafeBytes {
          $0.loadUnaligned(fromByteOffset: offset + index * 4, as: Float.self)
        }
        if abs(a - e) > 1e-6 { return "\(output.name)[\(index)]: \(a) != \(e)" }
      }
    } else if actual[offset..<offset + count * size] != expected[offset..<offset + count * size] {
      return "\(output.name) differs"
    }
    offset += count * size
  }
  return nil
}

func width(_ type: String) -> Int {
  switch type {
  case "float64", "int64", "uint64": 8
  case "float32", "int32", "uint32": 4
  case "float16", "int16", "uint16": 2
  default: 1
  }
}

@Suite struct GoldenTests {
  @Test func manifestListsTheCases() {
    #expect(GoldenCase.all.map(\.name).sorted() == ["logreg", "logreg_zipmap", "mixed", "rf32", "strings"])
  }

  @Test(arguments: GoldenCase.all)
  func outputsMatchOnnxRuntimeForEveryWorkerCount(golden: GoldenCase) throws {
    let input = try readFixture("streams/\(golden.name).in")
    let expected = try #require(splitFrames(try readFixture("streams/\(golden.name).expected")))
    var first: [UInt8]?
    for workers in [1, 2, 3, 8] {
      let result = try run(["-j", String(workers), fixture("models/\(golden.model)")], input: input)
      #expect(result.status == 0, "workers \(workers): \(result.stderr)")
      #expect(result.stderr == "")
      let frames = try #require(splitFrames(result.stdout))
      #expect(frames.count == golden.frames)
      for (index, (actual, wanted)) in zip(frames, expected).enumerated() {
        if let mismatch = compare(actual, wanted, outputs: golden.outputs) {
          Issue.record("\(golden.name) workers \(workers) frame \(index + 1): \(mismatch)")
        }
      }
      if let first { #expect(result.stdout == first, "output differs between worker counts") }
      first = result.stdout
    }
  }

  @Test(arguments: [(1, 1), (2, 1), (4, 2), (8, 32), (3, 5)])
  func outputIsByteIdenticalForAnyWorkersAndQueueDepth(workers: Int, depth: Int) throws {
    let input = try readFixture("streams/rf32.in")
    let reference = try run(["-j", "1", "--queue-depth", "1", fixture("models/rf32.onnx")], input: input)
    let result = try run(
      ["-j", String(workers), "--queue-depth", String(depth), fixture("models/rf32.onnx")], input: input)
    #expect(result.status == 0)
    #expect(result.stdout == reference.stdout)
  }

  @Test func selectedOutputsAreWrittenInTheGivenOrder() throws {
    let input = try readFixture("streams/logreg.in")
    let full = try #require(splitFrames(try run([fixture("models/logreg.onnx")], input: input).stdout))
    let result = try run(["--outputs", "probabilities,label", fixture("models/logreg.onnx")], input: input)
    #expect(result.status == 0)
    let frames = try #require(splitFrames(result.stdout))
    for (swapped, original) in zip(frames, full) {
      let rows = original.count / (8 + 12)
      #expect(swapped == Array(original[(rows * 8)...] + original[..<(rows * 8)]))
    }
  }
}
