import Testing

@testable import OnnxRuntime

@Suite struct RuntimeInfoTests {
  @Test func theCPUProviderIsAlwaysAvailable() {
    // Every ONNX Runtime build has the CPU provider, and lists it last (the fallback).
    #expect(availableExecutionProviders.last == "CPUExecutionProvider")
  }

  @Test func theVersionIsThreeNumbers() {
    let parts = onnxRuntimeVersion.split(separator: ".")
    #expect(parts.count == 3 && parts.allSatisfy { Int($0) != nil }, "\(onnxRuntimeVersion)")
  }
}
