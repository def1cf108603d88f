import COnnxRuntime

/// The ONNX Runtime function table, resolved once per process.
///
/// `OrtGetApiBase()->GetApi(ORT_API_VERSION)` returns NULL when the shared
/// library is older than the header we compiled against; that is a broken
/// installation, not something a caller can recover from.
let ort: OrtApi = {
  guard let api = onnxpipe_ort_api() else {
    fatalError(
      "onnxpipe: the installed libonnxruntime (\(String(cString: onnxpipe_ort_version()))) "
        + "is older than API version \(ORT_API_VERSION) this program was built for")
  }
  return api.pointee
}()

/// The version string of the ONNX Runtime library loaded at run time, e.g. "1.21.0".
public var onnxRuntimeVersion: String { String(cString: onnxpipe_ort_version()) }

/// The process-wide default CPU allocator. ONNX Runtime owns it; it is never released.
// nonisolated(unsafe): the pointer itself never changes, and ONNX Runtime's default
// allocator is thread-safe (it is the one every session uses from every thread).
nonisolated(unsafe) let defaultAllocator: UnsafeMutablePointer<OrtAllocator> = {
  var allocator: UnsafeMutablePointer<OrtAllocator>?
  // GetAllocatorWithDefaultOptions cannot fail on CPU builds; a failure here is a broken library.
  try! check(ort.GetAllocatorWithDefaultOptions!(&allocator))
  return allocator!
}()

/// Copies a string that ONNX Runtime allocated with `allocator`, then frees it.
func takeAllocatedString(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
  guard let pointer else { return "" }
  let string = String(cString: pointer)
  _ = ort.AllocatorFree!(defaultAllocator, pointer)
  return string
}
