/// The rows of one batch split into groups whose inputs have one shape each
/// (rows of different lengths for a dimension the data sizes), run group by
/// group, and the outputs put back in row order.
struct RowGroups {
  /// Each group's rows (positions among the rows grouped), in order of first appearance.
  private(set) var members: [[Int]] = []
  /// Each group's key (the lengths that make its shape).
  private(set) var keys: [[Int]] = []
  /// Where each row landed: its group and its position in it.
  private var placed: [(group: Int, position: Int)] = []

  init(rows: Int, key: (Int) -> [Int]) {
    var index: [[Int]: Int] = [:]
    placed.reserveCapacity(rows)
    for row in 0..<rows {
      let rowKey = key(row)
      let group =
        index[rowKey]
        ?? {
          index[rowKey] = members.count
          members.append([])
          keys.append(rowKey)
          return members.count - 1
        }()
      placed.append((group, members[group].count))
      members[group].append(row)
    }
  }

  /// The groups' outputs (`results[group]`, one tensor per output) as one tensor per output in row order.
  func reassemble(_ results: [[OutputTensor]]) throws(PipeError) -> [OutputTensor] {
    guard let first = results.first else { return [] }
    if results.count == 1 { return first }
    var joined: [OutputTensor] = []
    for position in first.indices {
      let shapes = Set(results.map { Array($0[position].shape.dropFirst()) })
      guard shapes.count == 1 else {
        throw PipeError(
          .data,
          "output \(position + 1) has rows of shapes \(shapes.sorted { $0.lexicographicallyPrecedes($1) }) for inputs of different lengths in one batch; send rows of one length per batch"
        )
      }
      joined.append(
        OutputTensor.joined(placed.map { results[$0.group][position].rows($0.position..<$0.position + 1) }))
    }
    return joined
  }
}
