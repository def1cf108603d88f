/// One model input as a reader fills it, whatever the format: its element
/// type, how a row is shaped, and what a missing value becomes.
public struct InputRow: Sendable, Equatable {
  public let index: Int
  public let name: String
  public let element: ElementType
  /// Dimensions after the batch dimension.
  public internal(set) var rowShape: [Int]
  /// What a missing value (JSON null, an empty CSV field, an Arrow null) becomes (`--missing`).
  public var missing: MissingFill = .refuse(hint: "")
  /// Set when the first row dimension is sized by each record (NDJSON rows
  /// of different lengths for a free dimension): a row then holds any
  /// positive multiple of this many values, and `rowShape[0]` is only the first record's.
  public var raggedStride: Int?
  public var rowElements: Int { rowShape.reduce(1, *) }

  /// This input with its first row dimension `rows` long (a ragged group's length).
  func resized(rows: Int) -> InputRow {
    var resized = self
    if !resized.rowShape.isEmpty { resized.rowShape[0] = rows }
    return resized
  }
}
