/// Which input fields feed which model inputs, and how outputs are named:
/// the options every reader and writer takes (`--input`, `--columns`, `--dim`,
/// `--outputs`, `--prefix`, `--missing`), whatever the format.
public struct InputMapping: Sendable {
  /// `--input NAME=FIELD`: input name to field (NDJSON dotted path, or CSV column).
  public var fields: [String: String] = [:]
  /// `--columns a,b,c`: CSV columns feeding the inputs, in model order.
  public var columns: [String]?
  /// `--dim NAME=SIZE`.
  public var pinnedDimensions: [String: Int] = [:]
  /// `--outputs`.
  public var outputNames: [String]?
  /// `--prefix`: put before each output's name where it is written.
  public var outputPrefix: String
  /// Keys of `pinnedDimensions` (`INPUT:AXIS`) sized from the first record, not by `--dim`:
  /// NDJSON rows may then differ in that dimension, record by record.
  public var dataSizedDimensions: Set<String> = []
  /// `--missing`: what a missing value becomes in each input.
  public var missing: MissingValuePolicy

  public init(
    fields: [String: String] = [:], columns: [String]? = nil, pinnedDimensions: [String: Int] = [:],
    outputNames: [String]? = nil, outputPrefix: String = "", missing: MissingValuePolicy = .init()
  ) {
    self.fields = fields
    self.columns = columns
    self.pinnedDimensions = pinnedDimensions
    self.outputNames = outputNames
    self.outputPrefix = outputPrefix
    self.missing = missing
  }
}
