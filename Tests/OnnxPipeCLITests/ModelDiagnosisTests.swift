import Foundation
import OnnxRuntime
import Testing

@testable import OnnxPipeCLI

@Suite struct ModelDiagnosisTests {
  static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

  static func file(_ relative: String) throws -> [UInt8] {
    Array(try Data(contentsOf: repositoryRoot.appendingPathComponent(relative)))
  }

  static func diagnose(_ bytes: [UInt8], path: String = "data") -> String? {
    ModelLoader.diagnose(prefix: Array(bytes.prefix(1 << 16)), fileSize: bytes.count, path: path)
  }

  @Test func dataFilesAreNamedWithWhereTheDataGoes() throws {
    let notAModel = "this is not an ONNX model"
    #expect(
      Self.diagnose(try Self.file("examples/iris/rows.csv"), path: "rows.csv")
        == notAModel + " (it looks like CSV text); the data goes on stdin: onnxpipe --in csv MODEL < rows.csv"
    )
    #expect(
      Self.diagnose(try Self.file("examples/iris/rows.ndjson"), path: "my rows.ndjson")
        == notAModel
        + " (it looks like NDJSON); the data goes on stdin: onnxpipe --in ndjson MODEL < 'my rows.ndjson'")
    #expect(
      Self.diagnose(try Self.file("examples/iris/rows.arrows"), path: "rows.arrows")
        == notAModel
        + " (it looks like an Arrow IPC stream); the data goes on stdin: onnxpipe --in arrow MODEL < rows.arrows"
    )
    #expect(
      Self.diagnose(try Self.file("examples/iris/rows.bin"), path: "rows.bin")
        == notAModel + " (it looks like raw tensor frames); the data goes on stdin: onnxpipe MODEL < rows.bin"
    )
    #expect(
      Self.diagnose(try Self.file("examples/logs/app.log"), path: "app.log")
        == notAModel + " (it looks like text); the data goes on stdin: onnxpipe --in lines MODEL < app.log")
    #expect(
      Self.diagnose(Self.bytes("[1, 2, 3, 4]\n"), path: "a.json")
        == notAModel
        + " (it looks like JSON text); the data goes on stdin: onnxpipe --in ndjson MODEL < a.json")
  }

  @Test func emptyCompressedAndArchivedFilesSaySo() {
    #expect(Self.diagnose([]) == "the file is empty")
    #expect(
      Self.diagnose([0x1F, 0x8B, 0x08, 0x00, 0x00])
        == "this is gzip data, not an ONNX model: decompress it first")
    #expect(
      Self.diagnose([0x28, 0xB5, 0x2F, 0xFD, 0x00])
        == "this is zstd data, not an ONNX model: decompress it first")
    #expect(
      Self.diagnose(Self.bytes("PK\u{3}\u{4}rest"))
        == "this is a zip archive, not an ONNX model: extract the model from it first")
    #expect(
      Self.diagnose(Self.bytes("PAR1xxxxPAR1")) == "this is not an ONNX model (it looks like a Parquet file)")
  }

  @Test(arguments: [
    "examples/iris/classifier.onnx", "examples/logs/classifier.onnx", "Tests/Fixtures/models/rf32.onnx",
    "Tests/Fixtures/models/unknown_op.onnx", "Tests/Fixtures/models/strings.onnx",
  ])
  func modelsWholeOrCutShortAreNotCalledData(path: String) throws {
    let model = try Self.file(path)
    #expect(Self.diagnose(model) == nil)
    for cut in [1, 2, 4, 5, 1000, model.count / 2] where cut < model.count {
      #expect(Self.diagnose(Array(model.prefix(cut))) == nil, "\(path) cut at \(cut)")
    }
  }

  static func isRawFrames(_ bytes: [UInt8]) -> Bool {
    ModelLoader.isRawFrames(fileSize: bytes.count) { ModelLoader.littleEndianU32(bytes, at: $0) }
  }

  @Test func rawFramesMustEndExactlyAtTheEndOfTheFile() {
    let frames: [UInt8] = [2, 0, 0, 0, 9, 9, 0, 0, 0, 0, 1, 0, 0, 0, 7]
    #expect(Self.isRawFrames(frames))
    #expect(!Self.isRawFrames(frames + [0]))
    #expect(!Self.isRawFrames(Array(frames.dropLast())))
    #expect(!Self.isRawFrames([1, 0, 0]))
    // 4096 frames that each fit are enough to call it frames.
    #expect(Self.isRawFrames(Array(repeating: [0, 0, 0, 0], count: 4096).flatMap { $0 } + [9]))
    #expect(!Self.isRawFrames(Array(repeating: [0, 0, 0, 0], count: 4095).flatMap { $0 } + [9]))
  }

  @Test func aModelLargerThanItsFirstLengthIsNotTakenForRawFrames() throws {
    // A model's first bytes, 08 08 12 .., read as a length point 0x..120808
    // bytes on: within a model of 200 MB, so only the ONNX start rules it out.
    let model = try Self.file("Tests/Fixtures/models/rf32.onnx")
    let prefix = Array(model.prefix(1 << 16))
    let fileSize = 200_000_000
    let first = ModelLoader.littleEndianU32(prefix, at: 0)!
    #expect(first + 4 < fileSize)
    let lengthAt = { (offset: Int) -> Int? in offset == 0 ? first : fileSize - offset - 4 }
    #expect(ModelLoader.isRawFrames(fileSize: fileSize, lengthAt: lengthAt))
    #expect(
      ModelLoader.diagnose(prefix: prefix, fileSize: fileSize, path: "big.onnx", lengthAt: lengthAt) == nil)
  }

  @Test func textMayEndInACutCharacterOnlyWhenMoreFollows() {
    let text = Self.bytes("é,è\n")
    #expect(ModelLoader.isText(text, complete: true))
    #expect(ModelLoader.isText(Array(text.prefix(1)), complete: false))
    #expect(!ModelLoader.isText(Array(text.prefix(1)), complete: true))
    #expect(!ModelLoader.isText(Self.bytes("a\u{0}b"), complete: true))
  }
}

@Suite struct OnnxRuntimeMessageTests {
  @Test func protobufFailuresSayTheFileIsNotAValidModel() {
    #expect(
      ModelLoader.explain("Load model from /tmp/x.onnx failed:Protobuf parsing failed.")
        == "not a valid ONNX model (protobuf parsing failed: the file is damaged, cut short or not a model)")
  }

  @Test func theSourceLocationAndFunctionAreDropped() {
    let message =
      "Load model from /tmp/e.onnx failed:./onnxruntime/core/graph/model.cc:165 onnxruntime::Model::Model("
      + "onnx::ModelProto&&, const onnxruntime::PathString&, const onnxruntime::IOnnxRuntimeOpSchemaRegistryList*,"
      + " const onnxruntime::logging::Logger&, const onnxruntime::ModelOptions&) ModelProto does not have a graph."
    #expect(ModelLoader.explain(message) == "not a valid ONNX model (ModelProto does not have a graph)")
    #expect(
      ModelLoader.withoutSourceLocation(
        "/src/onnxruntime/core/framework/x.h:12 T onnxruntime::f(int) const [with T = float; U = g(h)] bad thing"
      )
        == "bad thing")
    #expect(ModelLoader.withoutSourceLocation("model.cc: not a location") == "model.cc: not a location")
  }

  @Test func anUnknownOperatorNamesTheRuntimesVersion() {
    #expect(
      ModelLoader.explain(
        "Load model from m.onnx failed:Fatal error: com.example:NoSuchOp(-1) is not a registered function/op")
        == "the model uses an operator this ONNX Runtime (\(onnxRuntimeVersion)) does not have"
        + " (com.example:NoSuchOp(-1) is not a registered function/op)")
  }

  @Test func aNewerIRVersionAsksForANewerRuntime() {
    #expect(
      ModelLoader.explain(
        "Load model from m.onnx failed:/onnxruntime_src/onnxruntime/core/graph/model.cc:181"
          + " onnxruntime::Model::Model(onnx::ModelProto&&) Unsupported model IR version: 11, max supported IR version: 10"
      )
        == "the model needs a newer ONNX Runtime than this one (\(onnxRuntimeVersion))"
        + " (Unsupported model IR version: 11, max supported IR version: 10)")
  }
}
