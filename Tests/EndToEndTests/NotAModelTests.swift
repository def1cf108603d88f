import Foundation
import Testing

/// A data file given in the model's place, and ONNX Runtime's own messages.
@Suite struct NotAModelTests {
  static func path(_ relative: String) -> String { repositoryRoot.appendingPathComponent(relative).path }

  @Test(arguments: [
    ("examples/iris/rows.csv", "it looks like CSV text", "--in csv "),
    ("examples/iris/rows.ndjson", "it looks like NDJSON", "--in ndjson "),
    ("examples/iris/rows.arrows", "it looks like an Arrow IPC stream", "--in arrow "),
    ("examples/iris/rows.bin", "it looks like raw tensor frames", ""),
    ("examples/logs/app.log", "it looks like text", "--in lines "),
  ])
  func aDataFileGivenAsTheModelIsNamedForWhatItIs(file: String, looks: String, format: String) throws {
    let path = Self.path(file)
    let result = try run([path])
    #expect(result.status == 78)
    #expect(
      result.stderr
        == "onnxpipe: cannot load model '\(path)': this is not an ONNX model (\(looks));"
        + " the data goes on stdin: onnxpipe \(format)MODEL < \(path)\n")
    #expect(result.stdout.isEmpty)
  }

  @Test func anEmptyOrCompressedFileSaysSo() throws {
    let directory = NSTemporaryDirectory() + "onnxpipe-notmodel-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let empty = directory + "/empty.onnx"
    _ = FileManager.default.createFile(atPath: empty, contents: Data())
    let gzip = Process()
    gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
    gzip.arguments = [
      "-c", "gzip -c '\(Self.path("examples/iris/classifier.onnx"))' > '\(directory)/model.onnx.gz'",
    ]
    try gzip.run()
    gzip.waitUntilExit()
    #expect(gzip.terminationStatus == 0)
    let emptyResult = try run([empty])
    #expect(emptyResult.status == 78)
    #expect(emptyResult.stderr == "onnxpipe: cannot load model '\(empty)': the file is empty\n")
    let gzipResult = try run(["inspect", directory + "/model.onnx.gz"])
    #expect(gzipResult.status == 78)
    #expect(
      gzipResult.stderr
        == "onnxpipe: cannot load model '\(directory)/model.onnx.gz': this is gzip data, not an ONNX model:"
        + " decompress it first\n")
  }

  @Test func aDamagedModelIsNotAValidModelWithoutOnnxRuntimeInternals() throws {
    let path = NSTemporaryDirectory() + "onnxpipe-cut-\(getpid()).onnx"
    try Data(try readFixture("models/rf32.onnx").prefix(1000)).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let result = try run([path])
    #expect(result.status == 78)
    #expect(
      result.stderr
        == "onnxpipe: cannot load model '\(path)': not a valid ONNX model (protobuf parsing failed:"
        + " the file is damaged, cut short or not a model)\n")
  }

  @Test func anUnknownOperatorLeadsWithWhatItMeans() throws {
    let version = String(decoding: try run(["--version"]).stdout, as: UTF8.self)
      .split(separator: "\n")[1].split(separator: " ")[2]  // "ONNX Runtime 1.21.0 (execution providers: ...)"
    let path = fixture("models/unknown_op.onnx")
    let result = try run(["inspect", path])
    #expect(result.status == 78)
    #expect(
      result.stderr
        == "onnxpipe: cannot load model '\(path)': the model uses an operator this ONNX Runtime (\(version))"
        + " does not have (com.example:NoSuchOp(-1) is not a registered function/op)\n")
  }
}
