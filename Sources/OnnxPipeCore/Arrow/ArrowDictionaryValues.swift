/// Why one value of a column cannot be read.
struct ArrowValueProblem: Error, Equatable {
  let reason: String
}

/// The values of the dictionary a dictionary-encoded column points into: the
/// stream's last full dictionary batch for its id, then the deltas after it,
/// numbered on from one to the next.
///
/// ```
///   indices (the column):  2 0 4 ...
///   chunks:                [a b c] [d e]      entries 0..<3, then 3..<5
/// ```
struct ArrowDictionaryValues {
  let index: ElementType
  let valueType: ArrowType
  /// Held so that the chunks' bytes stay alive while the views below are read.
  private let chunks: [ArrowDictionaryChunk]
  /// The first entry of each chunk, then the number of entries.
  private let starts: [Int]
  /// Each chunk's values, for a dictionary of strings.
  private let strings: [ArrowStringArray]

  var holdsStrings: Bool { valueType.stringLayout != nil }
  var count: Int { starts[starts.count - 1] }

  /// The dictionary `id` as it stands in `dictionaries`, for column `name`.
  init(id: Int64, index: ElementType, valueType: ArrowType, dictionaries: ArrowDictionaries?, name: String)
    throws(PipeError)
  {
    guard let chunks = dictionaries?.entries[id], !chunks.isEmpty else {
      throw PipeError(.data, "column '\(name)': dictionary \(id) was not sent before this batch")
    }
    self.index = index
    self.valueType = valueType
    self.chunks = chunks
    var starts = [0]
    var strings: [ArrowStringArray] = []
    for chunk in chunks {
      starts.append(starts[starts.count - 1] + chunk.count)
      do throws(PipeError) {
        if let layout = valueType.stringLayout {
          strings.append(
            try ArrowStringArray(view: chunk.view, node: 0, length: chunk.count, layout: layout, name: name))
        } else {
          let width = valueType.element!.byteWidth!
          let values = chunk.view.buffer(chunk.view.bufferStarts[0] + 1)
          guard values.count >= chunk.count * width else {
            throw PipeError(
              .data,
              "column '\(name)': values buffer holds \(values.count) bytes, \(chunk.count * width) needed")
          }
          if chunk.view.node(0).nullCount > 0
            && chunk.view.buffer(chunk.view.bufferStarts[0]).count < (chunk.count + 7) / 8
          {
            throw PipeError(.data, "column '\(name)': validity bitmap shorter than its \(chunk.count) values")
          }
        }
      } catch {
        throw PipeError(error.kind, "\(chunk.origin): dictionary \(id): \(error.message)")
      }
    }
    self.starts = starts
    self.strings = strings
  }

  /// The entry that leaf element `element` of the column points to, or why it points to none.
  func entry(_ indices: UnsafeRawBufferPointer, _ element: Int) -> Result<
    (chunk: Int, local: Int), ArrowValueProblem
  > {
    let value: Int
    switch index {
    case .int8: value = Int(indices.loadUnaligned(fromByteOffset: element, as: Int8.self))
    case .uint8: value = Int(indices.loadUnaligned(fromByteOffset: element, as: UInt8.self))
    case .int16:
      value = Int(Int16(littleEndian: indices.loadUnaligned(fromByteOffset: element * 2, as: Int16.self)))
    case .uint16:
      value = Int(UInt16(littleEndian: indices.loadUnaligned(fromByteOffset: element * 2, as: UInt16.self)))
    case .int32:
      value = Int(Int32(littleEndian: indices.loadUnaligned(fromByteOffset: element * 4, as: Int32.self)))
    case .uint32:
      value = Int(UInt32(littleEndian: indices.loadUnaligned(fromByteOffset: element * 4, as: UInt32.self)))
    case .int64:
      value = Int(Int64(littleEndian: indices.loadUnaligned(fromByteOffset: element * 8, as: Int64.self)))
    default:
      let raw = UInt64(littleEndian: indices.loadUnaligned(fromByteOffset: element * 8, as: UInt64.self))
      value = Int(exactly: raw) ?? -1
    }
    guard value >= 0, value < count else {
      return .failure(
        ArrowValueProblem(reason: "holds dictionary index \(value), outside its \(count) values"))
    }
    // The chunk whose range holds `value`: the last start not after it.
    var low = 0
    var high = starts.count - 1
    while high - low > 1 {
      let middle = (low + high) / 2
      if starts[middle] <= value { low = middle } else { high = middle }
    }
    let chunk = low
    let local = value - starts[chunk]
    let view = chunks[chunk].view
    if view.node(0).nullCount > 0 {
      let bits = view.buffer(view.bufferStarts[0])
      if bits[local >> 3] & (1 << UInt8(local & 7)) == 0 {
        return .failure(ArrowValueProblem(reason: "is null (its dictionary value is null)"))
      }
    }
    return .success((chunk, local))
  }

  /// Why element `element` has no number, or nil when it has one.
  func problem(_ indices: UnsafeRawBufferPointer, _ element: Int) -> String? {
    if case .failure(let problem) = entry(indices, element) { return problem.reason }
    return nil
  }

  /// The number element `element` points to (its problems already ruled out).
  func number(_ indices: UnsafeRawBufferPointer, _ element: Int) -> UnsafeRawPointer {
    guard case .success(let (chunk, local)) = entry(indices, element) else {
      preconditionFailure("dictionary element \(element) was not checked")
    }
    let view = chunks[chunk].view
    return view.buffer(view.bufferStarts[0] + 1).baseAddress! + local * valueType.element!.byteWidth!
  }

  /// The string element `element` points to.
  func string(_ indices: UnsafeRawBufferPointer, _ element: Int) -> Result<String, ArrowValueProblem> {
    switch entry(indices, element) {
    case .failure(let problem): return .failure(problem)
    case .success(let (chunk, local)):
      guard let text = strings[chunk].string(local) else {
        return .failure(
          ArrowValueProblem(
            reason: "has a dictionary string that is not valid UTF-8 or lies outside its buffer"))
      }
      return .success(text)
    }
  }
}

/// Where a string column's strings come from: its own `Utf8`, `LargeUtf8` or
/// `Utf8View` array, or the dictionary its indices point into.
struct ArrowStringValues {
  private let own: ArrowStringArray?
  private let dictionary: ArrowDictionaryValues?

  /// The string values of `plan`'s leaf (`count` elements) and its dictionary, either nil when it has none.
  static func make(
    _ plan: ArrowColumnPlan, count: Int, view: ArrowBatchView, dictionaries: ArrowDictionaries?
  )
    throws(PipeError) -> (ArrowStringValues?, ArrowDictionaryValues?)
  {
    let node = plan.nodes[plan.nodes.count - 1]
    switch plan.leaf {
    case .strings(let large):
      let own = try ArrowStringArray(
        view: view, node: node, length: count, layout: .offsets(large: large), name: plan.name)
      return (ArrowStringValues(own: own, dictionary: nil), nil)
    case .stringViews:
      let own = try ArrowStringArray(view: view, node: node, length: count, layout: .views, name: plan.name)
      return (ArrowStringValues(own: own, dictionary: nil), nil)
    case .dictionary(let id, let index, let valueType):
      let values = try ArrowDictionaryValues(
        id: id, index: index, valueType: valueType, dictionaries: dictionaries, name: plan.name)
      return (values.holdsStrings ? ArrowStringValues(own: nil, dictionary: values) : nil, values)
    case .values, .bits:
      return (nil, nil)
    }
  }

  /// The strings of leaf elements `first..<first + count`; `indices` is the
  /// leaf's values buffer (the indices, for a dictionary-encoded column). A
  /// null element (`isNull`) is not read (its slot may hold anything, such as
  /// pandas' index -1): it comes back empty, for the missing value to replace.
  func row(
    _ first: Int, count: Int, indices: UnsafeRawBufferPointer, isNull: (Int) -> Bool = { _ in false }
  ) -> Result<[String], ArrowValueProblem> {
    var result: [String] = []
    result.reserveCapacity(count)
    for element in first..<first + count {
      if isNull(element) {
        result.append("")
      } else if let own {
        guard let text = own.string(element) else {
          return .failure(
            ArrowValueProblem(reason: "holds a string that is not valid UTF-8 or lies outside its buffer"))
        }
        result.append(text)
      } else {
        switch dictionary!.string(indices, element) {
        case .success(let text): result.append(text)
        case .failure(let problem): return .failure(problem)
        }
      }
    }
    return .success(result)
  }
}

extension ArrowType {
  /// How an array of this type holds strings, for `Utf8`, `LargeUtf8` and `Utf8View`.
  var stringLayout: ArrowStringArray.Layout? {
    switch self {
    case .utf8: .offsets(large: false)
    case .largeUtf8: .offsets(large: true)
    case .utf8View: .views
    default: nil
    }
  }
}
