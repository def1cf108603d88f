import OnnxRuntime

/// `onnxpipe --version`, in the GNU layout: the program and its version on
/// the first line (what scripts read), then what it runs on and its licence.
enum VersionText {
  /// The whole text, ending in a newline.
  static func text(
    runtimeVersion: String = onnxRuntimeVersion, providers: [String] = availableExecutionProviders
  ) -> String {
    let listed = providers.isEmpty ? "none reported" : providers.joined(separator: ", ")
    return """
      onnxpipe \(Help.version)
      ONNX Runtime \(runtimeVersion) (execution providers: \(listed))
      License: Apache-2.0 <https://www.apache.org/licenses/LICENSE-2.0>
      This is free software: you are free to change and redistribute it.
      There is NO WARRANTY, to the extent permitted by law.

      """
  }
}
