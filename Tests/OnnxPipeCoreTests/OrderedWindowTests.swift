import Testing

@testable import OnnxPipeCore

@Suite struct OrderedWindowTests {
  typealias Window = OrderedWindow<String, String>

  @Test func admitsUpToCapacityAndWritesInSequenceOrder() {
    var window = Window(capacity: 3)
    #expect(window.admit("a") == 0)
    #expect(window.admit("b") == 1)
    #expect(window.admit("c") == 2)
    #expect(!window.hasRoom)
    guard case .run(0, "a") = window.nextJob(), case .run(1, "b") = window.nextJob(),
      case .run(2, "c") = window.nextJob()
    else {
      Issue.record("jobs not handed out in order")
      return
    }
    #expect(window.complete(sequence: 2, result: "C") == false)
    #expect(window.complete(sequence: 1, result: "B") == false)
    guard case .wait = window.nextOutput() else {
      Issue.record("writer must wait for sequence 0")
      return
    }
    #expect(window.complete(sequence: 0, result: "A") == true)
    var written: [String] = []
    while case .write(_, let result) = window.nextOutput() { written.append(result) }
    #expect(written == ["A", "B", "C"])
    #expect(window.hasRoom)
    #expect(window.inFlight == 0)
  }

  @Test func endComesAfterEveryAdmittedBatchAndKeepsTheFirstReason() {
    var window = Window(capacity: 4)
    _ = window.admit("a")
    window.finish(.interrupted(signal: 15))
    window.finish(.endOfInput)
    #expect(window.admit("late") == nil)
    guard case .run(0, _) = window.nextJob(), case .exit = window.nextJob() else {
      Issue.record("worker must run the admitted job, then exit")
      return
    }
    _ = window.complete(sequence: 0, result: "A")
    guard case .write(0, "A") = window.nextOutput(),
      case .finish(.interrupted(signal: 15)) = window.nextOutput()
    else {
      Issue.record("writer must write A, then finish with the first reason")
      return
    }
  }

  @Test func stopDropsQueuedWorkAndClosesAdmission() {
    var window = Window(capacity: 2)
    _ = window.admit("a")
    _ = window.admit("b")
    window.stop()
    #expect(window.isClosed)
    guard case .exit = window.nextJob() else {
      Issue.record("workers must exit after stop")
      return
    }
    #expect(window.complete(sequence: 0, result: "A") == false)
  }

  final class Payload {}

  @Test func aJobTakenByAWorkerIsNoLongerHeldByTheWindow() {
    // Jobs are batches of up to megabytes: the window must not keep them once handed out.
    var window = OrderedWindow<Payload, Int>(capacity: 100)
    weak var first: Payload?
    for _ in 0..<10 {
      let payload = Payload()
      if first == nil { first = payload }
      _ = window.admit(payload)
    }
    #expect(first != nil)
    do {
      guard case .run(0, _) = window.nextJob() else {
        Issue.record("job 0 not handed out")
        return
      }
    }
    #expect(first == nil, "the window still holds a job a worker took")
    let isNext = window.complete(sequence: 0, result: 0)
    #expect(isNext)
  }
}
