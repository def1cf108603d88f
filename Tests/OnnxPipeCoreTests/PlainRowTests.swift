import Testing

@testable import OnnxPipeCore

/// Decodes `record` into a fresh column, with the plain-row path or without it; the column's bytes
/// and element count, or the error's reason.
private func decode(_ record: String, _ decoder: NDJSONRecordDecoder) -> Result<[UInt8], RecordError> {
  var columns = decoder.inputs.map { Column($0, rowCapacity: 2) }
  do {
    try Array(record.utf8).withUnsafeBytes { raw in try decoder.decode(raw, into: &columns) }
  } catch let error as RecordError {
    #expect(columns[0].count == 0, "a rejected row left values behind: \(record)")
    return .failure(error)
  } catch {
    return .failure(RecordError("\(error)"))
  }
  #expect(columns[0].count == decoder.inputs[0].rowElements || columns[0].count == 0)
  return .success(columns[0].bytes)
}

@Suite struct PlainRowTests {
  static let input = InputRow(index: 0, name: "X", element: .float32, rowShape: [4])

  /// Records of the plain shape and every near miss: the plain-row path decodes each exactly as
  /// the general walk does (the same values, or the same error).
  @Test func plainRowPathAgreesWithTheGeneralWalk() throws {
    let plain = NDJSONRecordDecoder(inputs: [Self.input], fields: [:])
    #expect(plain.plainRowPrefix == Array(#"{"X":"#.utf8), "the plain-row path is on for this model")
    var general = plain
    general.plainRowPrefix = nil
    var generator = SystemRandomNumberGenerator()
    let prefixes = [
      #"{"X":"#, #"{ "X":"#, #"{"X" :"#, #"{"x":"#, #"{"\u0058":"#, #"{"X":["#, " {\"X\":", #"{"Y":"#,
    ]
    let numbers = [
      "0.189053", "-0.522748", "12", "-0", "1e5", "1.5E-3", "\"1\"", "null", "NaN", "[1]", "01", "1.",
      "0.30000001192092896", "123456789012345678901", "true",
    ]
    let suffixes = [
      "}", " }", "}\r", "} ", "}\t\n", "}x", "", "]}", ",\"X\":[1,2,3,4]}", ",\"y\":1}",
      ", \"y\": {\"z\": []}}",
      "}}", " , }",
    ]
    var accepted = 0
    for _ in 0..<4000 {
      let count = Int.random(in: 3...5, using: &generator)
      let elements = (0..<count).map { _ in
        Int.random(in: 0..<5, using: &generator) == 0
          ? numbers.randomElement(using: &generator)!
          : String(Float(Double.random(in: -50...50, using: &generator)))
      }
      let separator = Bool.random(using: &generator) ? "," : ", "
      let record =
        prefixes.randomElement(using: &generator)! + "[" + elements.joined(separator: separator) + "]"
        + suffixes.randomElement(using: &generator)!
      let result = decode(record, plain)
      #expect(result == decode(record, general), "\(record)")
      if case .success = result, record.hasPrefix(#"{"X":["#) { accepted += 1 }
    }
    #expect(accepted > 40, "only \(accepted) plain rows decoded")
  }

  /// The path is off where the general walk has more to decide: a mapped or nested field, a
  /// kept output of the input's name, more than one input, a name that JSON would escape.
  @Test func plainRowPathIsOffWhereItCannotDecide() {
    let y = InputRow(index: 1, name: "Y", element: .float32, rowShape: [2])
    let ints = InputRow(index: 0, name: "X", element: .int64, rowShape: [4])
    let quoted = InputRow(index: 0, name: "a\"b", element: .float32, rowShape: [4])
    #expect(NDJSONRecordDecoder(inputs: [Self.input], fields: ["X": "f.g"]).plainRowPrefix == nil)
    #expect(
      NDJSONRecordDecoder(inputs: [Self.input], fields: [:], reservedKeys: [Array("X".utf8)]).plainRowPrefix
        == nil)
    #expect(NDJSONRecordDecoder(inputs: [Self.input, y], fields: [:]).plainRowPrefix == nil)
    #expect(NDJSONRecordDecoder(inputs: [ints], fields: [:]).plainRowPrefix == nil)
    #expect(NDJSONRecordDecoder(inputs: [quoted], fields: [:]).plainRowPrefix == nil)
    #expect(
      NDJSONRecordDecoder(inputs: [Self.input], fields: ["X": "Z"]).plainRowPrefix == Array(#"{"Z":"#.utf8))
  }
}
