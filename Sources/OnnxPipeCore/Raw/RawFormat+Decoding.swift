extension RawFormat {
  /// Splits `payload` into one tensor per model input and calls `body` with
  /// them and the row count; the tensors are valid only inside `body`.
  ///
  /// Numeric blocks are passed without copying when they are aligned for
  /// their element type (always, for numeric-only payloads in their own
  /// array); a misaligned block is copied to aligned scratch memory.
  /// Errors describe the payload; the caller adds the frame's position.
  public func withInputTensors<R>(
    payload: UnsafeRawBufferPointer, _ body: ([InputTensor], Int) throws -> R
  ) throws -> R {
    var scratch: [UnsafeMutableRawBufferPointer] = []
    defer { scratch.forEach { $0.deallocate() } }
    var cursor = PayloadCursor(payload)
    let rows: Int
    if inputHasStrings {
      guard let count = cursor.readUInt32LE() else {
        throw PipeError(.data, "payload of \(payload.count) bytes is too short for its u32 row count")
      }
      rows = Int(count)
    } else {
      let rowBytes = inputRowBytes!
      guard payload.count % rowBytes == 0 else {
        throw PipeError(
          .data,
          "payload of \(payload.count) bytes is not a whole number of \(rowBytes)-byte rows (\(describeRowSum()))"
        )
      }
      rows = payload.count / rowBytes
    }
    var tensors: [InputTensor] = []
    tensors.reserveCapacity(inputs.count)
    for slot in inputs {
      let shape = [rows] + slot.rowShape
      let (elements, overflow) = rows.multipliedReportingOverflow(by: slot.rowElements)
      guard !overflow else { throw PipeError(.data, "row count \(rows) is too large") }
      if let width = slot.element.byteWidth {
        guard let block = cursor.readBytes(elements * width) else {
          throw PipeError(
            .data,
            "input '\(slot.name)' needs \(elements * width) bytes for \(rows) rows, \(cursor.remaining) left in the payload"
          )
        }
        var bytes = block
        if let base = block.baseAddress, Int(bitPattern: base) % width != 0 {
          let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: block.count, alignment: 16)
          copy.copyMemory(from: block)
          scratch.append(copy)
          bytes = UnsafeRawBufferPointer(copy)
        }
        tensors.append(InputTensor(element: slot.element, shape: shape, contents: .bytes(bytes)))
      } else {
        var strings: [String] = []
        strings.reserveCapacity(min(elements, cursor.remaining / 4))
        for item in 0..<elements {
          guard let length = cursor.readUInt32LE(), let bytes = cursor.readBytes(Int(length)) else {
            throw PipeError(
              .data, "input '\(slot.name)' string \(item + 1) of \(elements) runs past the end of the payload"
            )
          }
          if bytes.contains(0) {
            throw PipeError(.data, "input '\(slot.name)' string \(item + 1) contains a NUL byte")
          }
          guard let string = String(validating: bytes, as: UTF8.self) else {
            throw PipeError(.data, "input '\(slot.name)' string \(item + 1) is not valid UTF-8")
          }
          strings.append(string)
        }
        tensors.append(InputTensor(element: .string, shape: shape, contents: .strings(strings)))
      }
    }
    guard cursor.remaining == 0 else {
      throw PipeError(.data, "\(cursor.remaining) bytes left over after \(rows) rows")
    }
    return try body(tensors, rows)
  }

  private func describeRowSum() -> String {
    inputs.map { "\($0.name) \($0.rowBytes!)" }.joined(separator: " + ")
  }
}

/// A bounds-checked read cursor over a payload: reads return nil past the end.
struct PayloadCursor {
  private let bytes: UnsafeRawBufferPointer
  private var index = 0

  init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  var remaining: Int { bytes.count - index }

  mutating func readUInt32LE() -> UInt32? {
    guard remaining >= 4 else { return nil }
    defer { index += 4 }
    return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self))
  }

  mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
    guard count >= 0, remaining >= count else { return nil }
    defer { index += count }
    return UnsafeRawBufferPointer(rebasing: bytes[index..<index + count])
  }
}
