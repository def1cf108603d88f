import Testing

@testable import OnnxPipeCore

@Suite struct LatencyHistogramTests {
  @Test func quantilesAreUpperBoundsWithinABucket() throws {
    var histogram = LatencyHistogram()
    #expect(histogram.quantile(0.5) == nil)
    for value in 1...100 { histogram.record(nanoseconds: UInt64(value) * 1_000_000) }
    let p50 = try #require(histogram.quantile(0.5))
    let p99 = try #require(histogram.quantile(0.99))
    #expect(p50 >= 50_000_000 && p50 <= 50_000_000 * 105 / 100)
    #expect(p99 >= 99_000_000 && p99 <= 99_000_000 * 105 / 100)
    #expect(histogram.count == 100)
  }
}

@Suite struct ModelHeaderTests {
  @Test func readsIRVersionProducerVersionAndOpsets() throws {
    // ir_version 8, producer_version "1.2", opset_import {domain "ai.onnx.ml", version 3}, {version 17}
    var bytes: [UInt8] = [0x08, 8, 0x1A, 3] + Array("1.2".utf8)
    let ml = [0x0A, 10] + Array("ai.onnx.ml".utf8) + [0x10, 3]
    bytes += [0x42, UInt8(ml.count)] + ml
    bytes += [0x42, 2, 0x10, 17]
    bytes += [0x3A, 2, 0xAA, 0xBB]  // a graph field, skipped
    let header = try #require(ModelHeader.parse(bytes))
    #expect(header.irVersion == 8)
    #expect(header.producerVersion == "1.2")
    #expect(header.opsets == [.init(domain: "ai.onnx.ml", version: 3), .init(domain: "", version: 17)])
  }

  @Test func truncatedProtobufIsRejected() {
    #expect(ModelHeader.parse([0x1A, 10, 65]) == nil)
    #expect(ModelHeader.parse([0x08, 0x80]) == nil)
  }
}
