import Foundation
import Testing

@testable import OnnxPipeCore

/// The batches `ArrowBatchSource` reads from `stream` (from a file, `readSize` bytes a read), and
/// the error that ended them, if any.
private func readBatches(_ stream: [UInt8], readSize: Int) -> (batches: Int, error: PipeError?) {
  withArrowSource(stream, readSize: readSize) { source in
    var batches = 0
    do throws(PipeError) {
      guard try source.readSchema() != nil else { return (0, nil) }
      while try source.next() != nil { batches += 1 }
      try source.finishInput()  // as the pipeline does once the output is written
    } catch {
      return (batches, error)
    }
    return (batches, nil)
  }
}

@Suite struct ArrowSourceTests {
  static let stream = arrowStream(width: 3, batches: [[1, 2, 3, 4, 5, 6], [], [7, 8, 9]])

  /// `cat a.arrows b.arrows`: the first stream's batches, then an error naming the byte after
  /// its end marker, rather than the second stream dropped with exit status 0.
  @Test(arguments: [7, 64, 1 << 16])
  func aSecondStreamAfterTheEndMarkerIsAnError(readSize: Int) throws {
    let read = readBatches(Self.stream + Self.stream, readSize: readSize)
    #expect(read.batches == 3)
    let error = try #require(read.error)
    #expect(
      error
        == PipeError(
          .data,
          "arrow stream (byte \(Self.stream.count)): the input goes on after the end-of-stream marker; --in arrow reads one stream (join streams first, e.g. with pyarrow)"
        ))
  }

  @Test(arguments: [7, 1 << 16])
  func oneStrayByteAfterTheEndMarkerIsAnError(readSize: Int) {
    let read = readBatches(Self.stream + [0], readSize: readSize)
    #expect(read.batches == 3)
    #expect(read.error?.kind == .data)
  }

  @Test(arguments: [7, 1 << 16])
  func aStreamThatEndsAtItsMarkerOrWithoutOneIsClean(readSize: Int) {
    let whole = readBatches(Self.stream, readSize: readSize)
    #expect(whole.batches == 3 && whole.error == nil)
    let unmarked = readBatches(Array(Self.stream.dropLast(8)), readSize: readSize)
    #expect(unmarked.batches == 3 && unmarked.error == nil)
    let onlyMarker = readBatches(ArrowMessage.endOfStream, readSize: readSize)
    #expect(onlyMarker.batches == 0 && onlyMarker.error == nil)
  }
}
