import Foundation
import Testing

@Suite struct BenchCommandTests {
  @Test func benchReportsWholeBatchesAsJSON() throws {
    let result = try run([
      "bench", "--rows", "5000", "--batch", "1024", "-j", "2", "--json", fixture("models/logreg.onnx"),
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
    #expect(object["rows"] as? Int == 5120)
    #expect(object["runs"] as? Int == 5)
    #expect(object["workers"] as? Int == 2)
    #expect((object["rows_per_s"] as? Double ?? 0) > 0)
  }

  @Test func benchOnASampleUsesItsRowsAndRefusesTooFew() throws {
    let path = NSTemporaryDirectory() + "onnxpipe-sample-\(getpid()).bin"
    try Data(Array(logregFrames.joined())).write(to: URL(fileURLWithPath: path))
    defer { unlink(path) }
    let ok = try run([
      "bench", "--rows", "6", "--batch", "3", "--sample", path, fixture("models/logreg.onnx"),
    ])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(String(decoding: ok.stdout, as: UTF8.self).contains(": 6 rows in 2 runs of 3, "))
    let tooFew = try run(["bench", "--batch", "7", "--sample", path, fixture("models/logreg.onnx")])
    #expect(tooFew.status == 64)
    #expect(
      tooFew.stderr
        == "onnxpipe: bench: --sample holds 6 rows, fewer than one --batch of 7\nSee 'onnxpipe --help'.\n")
  }

  @Test func sweepMeasuresEverySettingAndNamesTheBest() throws {
    let result = try run(["bench", "--sweep", "--json", fixture("models/logreg.onnx")])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
    let points = try #require(object["points"] as? [[String: Any]])
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let workerSettings = Set([1, cores, 2 * cores]).count
    #expect(points.count >= workerSettings * 4)
    let best = try #require(object["best"] as? [String: Any])
    let fastest = points.max { ($0["rows_per_s"] as? Double ?? 0) < ($1["rows_per_s"] as? Double ?? 0) }
    #expect(best["batch"] as? Int == fastest?["batch"] as? Int)
    #expect(best["workers"] as? Int == fastest?["workers"] as? Int)
  }
}
