import Foundation
import Testing

@testable import OnnxPipeCore

@Suite struct GatheredWriteTests {
  /// Writes `parts` into a pipe with one writev(2) a call while another thread reads it all.
  private func throughPipe(_ parts: [[UInt8]]) throws -> [UInt8] {
    var ends: [Int32] = [0, 0]
    #expect(pipe(&ends) == 0)
    let reader = FileHandle(fileDescriptor: ends[0], closeOnDealloc: true)
    nonisolated(unsafe) var read = Data()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      read = reader.readDataToEndOfFile()
      done.signal()
    }
    var sink = FileDescriptorSink(FileDescriptor(rawValue: ends[1]))
    try sink.write(parts: parts)
    close(ends[1])
    done.wait()
    return [UInt8](read)
  }

  @Test func partsLargerThanThePipeArriveWholeAndInOrder() throws {
    var generator = SystemRandomNumberGenerator()
    // 3000 parts (more than one writev takes), sizes 0 to 5000 bytes: ~7 MB, far past the pipe's 64 KiB,
    // so the kernel takes each call's bytes in several goes, stopping inside a part.
    let parts = (0..<3000).map { index in
      [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: Int.random(in: 0...5000, using: &generator))
    }
    #expect(try throughPipe(parts) == parts.flatMap { $0 })
  }

  @Test func emptyPartsAndNoPartsWriteNothing() throws {
    #expect(try throughPipe([]) == [])
    #expect(try throughPipe([[], [], []]) == [])
    #expect(try throughPipe([[], [1, 2], [], [3]]) == [1, 2, 3])
  }

  @Test func aClosedReaderIsABrokenPipe() throws {
    var ends: [Int32] = [0, 0]
    #expect(pipe(&ends) == 0)
    close(ends[0])
    signal(SIGPIPE, SIG_IGN)
    var sink = FileDescriptorSink(FileDescriptor(rawValue: ends[1]))
    #expect(throws: PipeError(.brokenPipe, "output closed (broken pipe)")) {
      try sink.write(parts: [[1, 2, 3], [4]])
    }
    close(ends[1])
  }

  @Test func gatheringKeepsPartsAndCountsTheirBytes() {
    var output = GatheredOutput()
    output.add([1, 2])
    output.add([])
    output.add([3])
    #expect(output.parts == [[1, 2], [3]])
    #expect(output.byteCount == 3)
    output.removeAll()
    #expect(output.parts.isEmpty)
    #expect(output.byteCount == 0)
  }
}
