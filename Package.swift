// swift-tools-version:6.0
// onnxpipe: an ordered, parallel ONNX Runtime filter for Unix pipes.
// No package dependencies: the toolchain and the system's libonnxruntime only.
import PackageDescription

let package = Package(
  name: "onnxpipe",
  products: [
    .executable(name: "onnxpipe", targets: ["onnxpipe"])
  ],
  targets: [
    .systemLibrary(
      name: "COnnxRuntime",
      pkgConfig: "libonnxruntime",
      providers: [.apt(["libonnxruntime-dev"])]
    ),
    .target(name: "OnnxRuntime", dependencies: ["COnnxRuntime"]),
    .target(name: "OnnxPipeCore"),
    .target(name: "OnnxPipeCLI", dependencies: ["OnnxRuntime", "OnnxPipeCore"]),
    .executableTarget(name: "onnxpipe", dependencies: ["OnnxPipeCLI"]),
    .testTarget(name: "OnnxRuntimeTests", dependencies: ["OnnxRuntime"]),
    .testTarget(name: "OnnxPipeCoreTests", dependencies: ["OnnxPipeCore"]),
    .testTarget(name: "OnnxPipeCLITests", dependencies: ["OnnxPipeCLI", "OnnxPipeCore"]),
    .testTarget(name: "EndToEndTests", dependencies: ["OnnxPipeCore"]),
  ]
)
