import Testing

@testable import OnnxPipeCore

func bytes<T>(of values: [T]) -> [UInt8] {
  values.withUnsafeBytes { Array($0) }
}

let twoInputSignature = ModelSignature(
  inputs: [
    TensorSpec(name: "x", kind: .tensor(.float32, [.symbolic("N"), .fixed(3)])),
    TensorSpec(name: "k", kind: .tensor(.int8, [.symbolic("N"), .fixed(1)])),
  ],
  outputs: [
    TensorSpec(name: "y", kind: .tensor(.float32, [.symbolic("N"), .fixed(2)])),
    TensorSpec(name: "map", kind: .other("seq(map(int64,tensor(float32)))")),
    TensorSpec(name: "label", kind: .tensor(.int64, [.symbolic("N")])),
  ])

@Suite struct RawFormatTests {
  @Test func numericLayoutCountsRowBytesAndSkipsNonTensorOutputs() throws {
    let format = try RawFormat(signature: twoInputSignature)
    #expect(format.inputRowBytes == 13)
    #expect(format.outputs.map(\.name) == ["y", "label"])
    #expect(format.outputs.map(\.index) == [0, 2])
  }

  @Test func splitsAPayloadIntoBlocksAndCopiesMisalignedOnes() throws {
    let format = try RawFormat(signature: twoInputSignature)
    let xs: [Float] = [1, 2, 3, 4, 5, 6]
    let ks: [Int8] = [-1, 7]
    let payload = bytes(of: xs) + bytes(of: ks)
    let seen = try payload.withUnsafeBytes { raw in
      try format.withInputTensors(payload: raw) { tensors, rows -> [[UInt8]] in
        #expect(rows == 2)
        #expect(tensors.map(\.shape) == [[2, 3], [2, 1]])
        return tensors.map { tensor in
          guard case .bytes(let block) = tensor.contents else { return [] }
          return Array(block)
        }
      }
    }
    #expect(seen == [bytes(of: xs), bytes(of: ks)])
  }

  @Test func payloadThatIsNotWholeRowsNamesTheRowSize() throws {
    let format = try RawFormat(signature: twoInputSignature)
    let payload = [UInt8](repeating: 0, count: 27)
    #expect(
      throws: PipeError(.data, "payload of 27 bytes is not a whole number of 13-byte rows (x 12 + k 1)")
    ) {
      try payload.withUnsafeBytes { raw in try format.withInputTensors(payload: raw) { _, _ in 0 } }
    }
  }

  @Test func freeDimensionNeedsAPin() throws {
    let signature = ModelSignature(
      inputs: [TensorSpec(name: "seq", kind: .tensor(.int64, [.symbolic("batch"), .symbolic("len")]))],
      outputs: [TensorSpec(name: "y", kind: .tensor(.float32, [.symbolic("batch")]))])
    #expect(
      throws: PipeError(
        .model, "input 'seq' has the free dimension 'len' at position 1; pin it with --dim len=SIZE")
    ) {
      try RawFormat(signature: signature)
    }
    let pinned = try RawFormat(signature: signature, pinnedDimensions: ["len": 5])
    #expect(pinned.inputRowBytes == 40)
  }

  @Test func unknownOutputNameListsTheKnownOnes() {
    #expect(throws: PipeError(.usage, "--outputs: the model has no output 'z' (it has: y, map, label)")) {
      try RawFormat(signature: twoInputSignature, outputNames: ["z"])
    }
  }

  @Test func stringPayloadCarriesARowCountAndLengthPrefixedStrings() throws {
    let signature = ModelSignature(
      inputs: [
        TensorSpec(name: "s", kind: .tensor(.string, [.symbolic("N")])),
        TensorSpec(name: "x", kind: .tensor(.float32, [.symbolic("N"), .fixed(1)])),
      ],
      outputs: [TensorSpec(name: "s_out", kind: .tensor(.string, [.symbolic("N")]))])
    let format = try RawFormat(signature: signature)
    #expect(format.inputRowBytes == nil)
    var payload: [UInt8] = []
    appendUInt32LE(2, to: &payload)
    for word in ["héllo", ""] {
      appendUInt32LE(UInt32(word.utf8.count), to: &payload)
      payload += Array(word.utf8)
    }
    payload += bytes(of: [Float(1.5), Float(-2)])
    let strings = try payload.withUnsafeBytes { raw in
      try format.withInputTensors(payload: raw) { tensors, rows -> [String] in
        #expect(rows == 2)
        guard case .strings(let strings) = tensors[0].contents else { return [] }
        guard case .bytes(let block) = tensors[1].contents else { return [] }
        #expect(Array(block) == bytes(of: [Float(1.5), Float(-2)]))
        #expect(Int(bitPattern: block.baseAddress!) % 4 == 0)
        return strings
      }
    }
    #expect(strings == ["héllo", ""])

    var frame: [UInt8] = []
    try format.appendFrame(
      outputs: [OutputTensor(element: .string, shape: [2], contents: .strings(["ab", "c"]))], rows: 2,
      to: &frame)
    #expect(frame == [15, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 97, 98, 1, 0, 0, 0, 99])
  }

  @Test func stringRunningPastThePayloadIsAnError() throws {
    let signature = ModelSignature(
      inputs: [TensorSpec(name: "s", kind: .tensor(.string, [.symbolic("N")]))],
      outputs: [TensorSpec(name: "y", kind: .tensor(.float32, [.symbolic("N")]))])
    let format = try RawFormat(signature: signature)
    let payload: [UInt8] = [1, 0, 0, 0, 9, 0, 0, 0, 65]
    #expect(throws: PipeError(.data, "input 's' string 1 of 1 runs past the end of the payload")) {
      try payload.withUnsafeBytes { raw in try format.withInputTensors(payload: raw) { _, _ in 0 } }
    }
  }

  @Test func numericOutputsAreConcatenatedBehindTheLength() throws {
    let format = try RawFormat(signature: twoInputSignature)
    var frame: [UInt8] = []
    try format.appendFrame(
      outputs: [
        OutputTensor(
          element: .float32, shape: [1, 2], contents: .bytes(bytes(of: [Float(0.25), Float(0.75)]))),
        OutputTensor(element: .int64, shape: [1], contents: .bytes(bytes(of: [Int64(1)]))),
      ], rows: 1, to: &frame)
    #expect(frame == [16, 0, 0, 0] + bytes(of: [Float(0.25), Float(0.75)]) + bytes(of: [Int64(1)]))
  }
}
