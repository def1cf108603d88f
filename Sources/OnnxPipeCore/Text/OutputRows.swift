/// A batch's results as the text writers read them, one row at a time.
///
/// Built once per batch: a fixed-width output's elements are reached through a
/// pointer and its row layout is kept in plain integers, so writing a row
/// copies no array and retains nothing. (Taking `OutputTensor`s out of the
/// results array for every row retained their arrays, and the format's shared
/// key arrays, from both worker threads at once.)
struct OutputRows {
  let element: ElementType
  /// The shape of one row (the batch dimension dropped) and its element count.
  let rowShape: [Int]
  let rowElements: Int
  let storage: Storage
  let strings: [String]
  let maps: [[MapEntry]]

  /// Where the rows are (a trivial enum: reading it retains nothing).
  enum Storage {
    /// Fixed-width elements, little-endian, every row's.
    case raw(UnsafeRawBufferPointer)
    /// `strings`, `rowElements` a row.
    case strings
    /// `maps`, one a row.
    case maps
  }

  /// Calls `body` with a view of each of `results` (nil for nil), valid only inside `body`.
  static func with<R>(_ results: [OutputTensor]?, _ body: (UnsafeBufferPointer<OutputRows>?) -> R) -> R {
    guard let results else { return body(nil) }
    var views: [OutputRows] = []
    views.reserveCapacity(results.count)
    func gather(_ index: Int) -> R {
      guard index < results.count else { return views.withUnsafeBufferPointer { body($0) } }
      let result = results[index]
      func add(_ storage: Storage, strings: [String] = [], maps: [[MapEntry]] = []) -> R {
        let rowShape = Array(result.shape.dropFirst())
        views.append(
          OutputRows(
            element: result.element, rowShape: rowShape, rowElements: rowShape.reduce(1, *), storage: storage,
            strings: strings, maps: maps))
        return gather(index + 1)
      }
      switch result.contents {
      case .bytes(let bytes): return bytes.withUnsafeBytes { add(.raw($0)) }
      case .strings(let strings): return add(.strings, strings: strings)
      case .maps(let maps): return add(.maps, maps: maps)
      }
    }
    return gather(0)
  }
}
