import Foundation
import Testing

/// The `--stats` fields added for issue 19: start-up per phase and the serial stages' CPU time.
@Suite struct StatsFieldsTests {
  /// `name=value` pairs of the stats line.
  private func fields(_ stderr: String) -> [String: String] {
    var fields: [String: String] = [:]
    for word in stderr.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
      let parts = word.split(separator: "=", maxSplits: 1)
      if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
    }
    return fields
  }

  @Test func startUpPhasesAndStageCPUArePrinted() throws {
    let input = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture("streams/logreg.in"))))
    let result = try run(["--stats", fixture("models/logreg.onnx")], input: input)
    #expect(result.status == 0)
    let stats = fields(result.stderr)
    // startup_ms=runtime:A,load:B,engine:C, each a number of milliseconds.
    let phases = try #require(stats["startup_ms"]).split(separator: ",").map { $0.split(separator: ":") }
    #expect(phases.map { String($0[0]) } == ["runtime", "load", "engine"])
    #expect(phases.allSatisfy { $0.count == 2 && Double($0[1]).map { $0 >= 0 } == true })
    #expect(stats["first_run_ms"].flatMap(Double.init).map { $0 >= 0 } == true)
    let run = try #require(stats["pipeline_cpu_s"].flatMap(Double.init))
    let reader = try #require(stats["reader_cpu_s"].flatMap(Double.init))
    let writer = try #require(stats["writer_cpu_s"].flatMap(Double.init))
    // The reader and writer threads are part of the run.
    #expect(reader >= 0 && writer >= 0 && reader + writer <= run)
  }
}
