extension OptionSpec {
  /// The long option `name` (without `--`) was probably meant to be, among
  /// those `command` takes, or nil when none is close: the only option it is
  /// a prefix of (three letters at least), or else the nearest by edit
  /// distance, when at most 2 edits and at most a third of the longer name.
  static func suggestion(for name: String, command: Command) -> String? {
    let candidates = table.filter { $0.commands.contains(command) || $0.long == "help" }.map(\.long)
    let typed = Array(name.lowercased())
    if typed.count >= 3 {
      let extended = candidates.filter { $0.hasPrefix(String(typed)) }
      if extended.count == 1 { return extended[0] }
    }
    var best: (name: String, distance: Int)?
    for candidate in candidates {
      let distance = editDistance(typed, Array(candidate))
      if distance < best?.distance ?? Int.max { best = (candidate, distance) }
    }
    guard let best, best.distance <= 2, best.distance * 3 <= max(typed.count, best.name.count) else {
      return nil
    }
    return best.name
  }

  /// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`:
  /// the optimal string alignment distance.
  static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    // rows[i][j]: the distance between a's first i and b's first j characters.
    var rows = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { rows[i][0] = i }
    for j in 0...b.count { rows[0][j] = j }
    for i in 1...a.count {
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
        }
      }
    }
    return rows[a.count][b.count]
  }
}
