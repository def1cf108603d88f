import Foundation
import OnnxPipeCore
import OnnxRuntime
import Synchronization
import Testing

@testable import OnnxPipeCLI

/// The per-worker sessions of a model whose operators contend (`SessionPoolEngine`).
@Suite struct SessionPoolEngineTests {
  static let textModel = repositoryRoot.appendingPathComponent("Tests/Fixtures/models/text_clf.onnx").path
  static let words = ["GET", "200", "ERROR", "timeout", "user", "login", "failed", "cache", "panic", "OK"]

  /// `count` log-like lines, different for each `seed`.
  static func lines(_ count: Int, seed: Int) -> [String] {
    (0..<count).map { row in
      (0..<6).map { words[(row * 7 + $0 * 3 + seed * 11) % words.count] }.joined(separator: " ")
    }
  }

  static func run(_ engine: any InferenceEngine, _ lines: [String]) throws -> [OutputTensor] {
    try engine.run(
      [InputTensor(element: .string, shape: [lines.count, 1], contents: .strings(lines))], outputs: [0, 1])
  }

  @Test func aModelWithContendedOperatorsIsLoadedWithItsBytes() throws {
    let session = try ModelLoader.load(path: Self.textModel)
    #expect(session.modelData == Array(try Data(contentsOf: URL(fileURLWithPath: Self.textModel))))
    // Numeric models and multi-threaded sessions are loaded from the path, as before.
    let forest = repositoryRoot.appendingPathComponent("Tests/Fixtures/models/rf32.onnx").path
    #expect(try ModelLoader.load(path: forest).modelData == nil)
    #expect(try ModelLoader.load(path: Self.textModel, intraThreads: 2).modelData == nil)
  }

  @Test func eachRunInProgressHasASessionOfItsOwnUpToTheLimit() throws {
    let pool = SessionPoolEngine(session: try ModelLoader.load(path: Self.textModel), limit: 2)
    #expect(pool.sessionCount == 1)
    let first = pool.checkOut()
    let second = pool.checkOut()
    #expect(first.owned && second.owned)
    #expect(first.engine.session !== second.engine.session)
    #expect(pool.sessionCount == 2)
    // A third run at once, past the limit, shares the first session and is not checked back in.
    let third = pool.checkOut()
    #expect(!third.owned)
    #expect(third.engine.session === first.engine.session)
    #expect(pool.sessionCount == 2)
    pool.checkIn(third)
    pool.checkIn(second)
    pool.checkIn(first)
    // Idle sessions are reused: no third one is ever made.
    let again = [pool.checkOut(), pool.checkOut()]
    #expect(Set(again.map { ObjectIdentifier($0.engine.session) }).count == 2)
    #expect(again.allSatisfy { $0.owned })
    #expect(pool.sessionCount == 2)
  }

  @Test func outputsAreThoseOfOneSharedSession() throws {
    let single = OrtEngine(session: try ModelLoader.load(path: Self.textModel))
    let pool = SessionPoolEngine(session: try ModelLoader.load(path: Self.textModel), limit: 2)
    let batches = (0..<16).map { Self.lines(37 + $0, seed: $0) }
    let expected = try batches.map { try Self.run(single, $0) }
    let results = Locked([[OutputTensor]?](repeating: nil, count: batches.count))
    let next = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let threads = (0..<2).map { _ in
      OwnedThread {
        while true {
          let index = next.add(1, ordering: .relaxed).oldValue
          guard index < batches.count else { return }
          do {
            let outputs = try Self.run(pool, batches[index])
            results.withLock { $0[index] = outputs }
          } catch {
            failures.add(1, ordering: .relaxed)
          }
        }
      }
    }
    threads.forEach { $0.join() }
    #expect(failures.load(ordering: .relaxed) == 0)
    #expect(results.withLock { $0 } == expected.map { Optional($0) })
    #expect(pool.sessionCount <= 2)
    // The outputs differ from batch to batch, so the comparison can fail.
    #expect(expected.contains { $0[0] != expected[0][0] })
  }

  @Test func theEngineUsesAPoolOnlyForSeveralSingleThreadedWorkers() throws {
    let session = try ModelLoader.load(path: Self.textModel)
    #expect(
      (ScoreCommand.baseEngine(session: session, workers: 8, intraThreads: 1) as? SessionPoolEngine)?.limit
        == 8)
    #expect(ScoreCommand.baseEngine(session: session, workers: 1, intraThreads: 1) is OrtEngine)
    #expect(ScoreCommand.baseEngine(session: session, workers: 2, intraThreads: 2) is OrtEngine)
    let forest = repositoryRoot.appendingPathComponent("Tests/Fixtures/models/rf32.onnx").path
    #expect(
      ScoreCommand.baseEngine(session: try ModelLoader.load(path: forest), workers: 2, intraThreads: 1)
        is OrtEngine)
  }

  /// A processor that only keeps the engine it was built with.
  struct Holder: BatchProcessor {
    let engine: any InferenceEngine
    func process(_ batch: Batch) throws(PipeError) -> ScoredBatch { ScoredBatch(bytes: [], rows: 0) }
  }

  @Test func aReloadReplacesEverySession() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pool-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("model.onnx").path
    try FileManager.default.copyItem(atPath: Self.textModel, toPath: path)
    let options = try ScoreOptions(try parseArguments(["--in", "lines", "-j", "2", path]))
    let stats = PipelineStats()
    let old = try ScoreCommand.makeEngine(
      session: try ModelLoader.load(path: path), options: options, intraThreads: 1, stats: stats,
      reporter: nil)
    let oldPool = try #require(old.adapter.base as? SessionPoolEngine)
    let first = oldPool.checkOut()
    let second = oldPool.checkOut()
    #expect(oldPool.sessionCount == 2)
    let replaced = Locked<(any BatchProcessor)?>(nil)
    let done = DispatchSemaphore(value: 0)
    let reloader = ModelReloader(
      options: options, intraThreads: 1, stats: stats, reference: old.adapter.signature,
      requiresBatchInvariance: false, build: { engine throws(PipeError) in Holder(engine: engine) },
      replace: { processor in replaced.withLock { $0 = processor } },
      // Called last, once the new engine is in place and counted.
      remeasure: { done.signal() })
    reloader.request()
    #expect(done.wait(timeout: .now() + 60) == .success)
    reloader.stop()  // joins the load's thread, as the command does before it exits
    let holder = try #require(replaced.withLock { $0 } as? Holder)
    let newPool = try #require((holder.engine as? ModelAdapter)?.base as? SessionPoolEngine)
    #expect(newPool !== oldPool)
    #expect(newPool.sessionCount == 1)
    let lease = [newPool.checkOut(), newPool.checkOut()]
    #expect(newPool.sessionCount == 2)
    let newSessions = Set(lease.map { ObjectIdentifier($0.engine.session) })
    let oldSessions = Set([first, second].map { ObjectIdentifier($0.engine.session) })
    #expect(newSessions.isDisjoint(with: oldSessions))
    #expect(stats.reloads.load(ordering: .relaxed) == 1)
    lease.forEach(newPool.checkIn)
    oldPool.checkIn(first)
    oldPool.checkIn(second)
  }

  @Test func thePoolsSessionsGoWithIt() throws {
    weak var made: Session?
    weak var loaded: Session?
    do {
      let pool = SessionPoolEngine(session: try ModelLoader.load(path: Self.textModel), limit: 2)
      let leases = [pool.checkOut(), pool.checkOut()]
      loaded = leases[0].engine.session
      made = leases[1].engine.session
      leases.forEach(pool.checkIn)
      #expect(made != nil && loaded != nil)
    }
    #expect(made == nil && loaded == nil)
  }
}
