import Testing

@testable import OnnxPipeCore

@Suite struct StreamJoinerTests {
  /// Joins `files`, each fed in chunks of `chunkSize` bytes.
  func join(_ files: [String], _ rule: StreamJoiner.Rule, chunkSize: Int) throws -> (String, StreamJoiner) {
    var joiner = StreamJoiner(rule: rule)
    var out: [UInt8] = []
    for file in files {
      joiner.startFile()
      let bytes = Array(file.utf8)
      var start = 0
      while start < bytes.count {
        out += try joiner.pass(bytes[start..<min(start + chunkSize, bytes.count)])
        start += chunkSize
      }
      out += try joiner.endFile()
    }
    return (String(decoding: out, as: UTF8.self), joiner)
  }

  @Test(arguments: 1...12)
  func textFilesLoseLaterMarksAndGetTheirLastLineEnded(chunkSize: Int) throws {
    let (stream, joiner) = try join(
      ["\u{FEFF}a\nb", "\u{FEFF}c\n", "", "d", "\u{FEFF}"], .text, chunkSize: chunkSize)
    #expect(stream == "\u{FEFF}a\nb\nc\nd\n")
    #expect(joiner.extents.map(\.lines) == [2, 1, 0, 1, 0])
    #expect(joiner.extents.map(\.firstLine) == [1, 3, 4, 4, 5])
    #expect(joiner.locate(line: 2)! == (0, 2))
    #expect(joiner.locate(line: 3)! == (1, 1))
    #expect(joiner.locate(line: 4)! == (3, 1))
  }

  @Test(arguments: 1...12)
  func csvKeepsTheFirstHeaderAndDropsEachRepeat(chunkSize: Int) throws {
    let files = ["x,y\n1,2", "\u{FEFF}x,y\r\n3,4\r\n5,6\r\n", "x,y", "x,y\n7,8\n"]
    let (stream, joiner) = try join(files, .csvWithHeader, chunkSize: chunkSize)
    #expect(stream == "x,y\n1,2\n3,4\r\n5,6\r\n7,8\n")
    #expect(joiner.extents.map(\.droppedLines) == [0, 1, 1, 1])
    // Line 4 of the stream (5,6) is line 3 of the second file, after its header.
    #expect(joiner.locate(line: 4)! == (1, 3))
    #expect(joiner.locate(line: 5)! == (3, 2))
  }

  @Test(arguments: 1...12)
  func anEmptyFirstFileLeavesTheHeaderToTheNext(chunkSize: Int) throws {
    let (stream, _) = try join(["", "x,y\n1,2\n", "x,y\n3,4\n"], .csvWithHeader, chunkSize: chunkSize)
    #expect(stream == "x,y\n1,2\n3,4\n")
  }

  @Test(arguments: 1...12)
  func aDifferentHeaderIsRefusedWithBothLines(chunkSize: Int) throws {
    #expect(throws: StreamJoiner.HeaderMismatch(found: Array("x,z".utf8), expected: Array("x,y".utf8))) {
      try join(["x,y\n1,2\n", "x,z\r\n3,4\n"], .csvWithHeader, chunkSize: chunkSize)
    }
    // A later file with no header at all: its first record is not the header either.
    #expect(throws: StreamJoiner.HeaderMismatch(found: Array("3,4".utf8), expected: Array("x,y".utf8))) {
      try join(["x,y\n1,2\n", "3,4"], .csvWithHeader, chunkSize: chunkSize)
    }
  }

  @Test(arguments: [1, 3, 7, 64])
  func bytesPassAsTheyAre(chunkSize: Int) throws {
    let files = ["\u{FEFF}ab", "\u{FEFF}c", "d\n"]
    let (stream, joiner) = try join(files, .bytes, chunkSize: chunkSize)
    #expect(stream == files.joined())
    #expect(joiner.extents.map(\.firstByte) == [0, 5, 9])
    #expect(joiner.locate(byte: 4)! == (0, 4))
    #expect(joiner.locate(byte: 5)! == (1, 0))
    #expect(joiner.locate(byte: 10)! == (2, 1))
    #expect(joiner.locate(byte: 11) == nil)
  }

  @Test func aHeldHeaderLongerThanTheLimitIsRefused() throws {
    var joiner = StreamJoiner(rule: .csvWithHeader, maxHeaderBytes: 4)
    joiner.startFile()
    _ = try joiner.pass(Array("x,y\n".utf8))
    joiner.startFile()
    #expect(throws: StreamJoiner.HeaderMismatch.self) { try joiner.pass(Array("abcdefgh".utf8)) }
  }
}
