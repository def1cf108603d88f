import COnnxRuntime

/// The execution providers the loaded ONNX Runtime library was built with
/// (`OrtApi::GetAvailableProviders`), in its own order of preference, e.g.
/// `["CPUExecutionProvider"]`.
///
/// A failure of the call (which ONNX Runtime documents only for allocation
/// failures) yields an empty list: this is for display, not for a decision.
public var availableExecutionProviders: [String] {
  var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
  var count: Int32 = 0
  guard (try? check(ort.GetAvailableProviders!(&names, &count))) != nil, let names else { return [] }
  // The array and its strings belong to ONNX Runtime; copy them, then give them back.
  let copied = (0..<Int(max(count, 0))).compactMap { names[$0].map { String(cString: $0) } }
  _ = ort.ReleaseAvailableProviders!(names, count)
  return copied
}
