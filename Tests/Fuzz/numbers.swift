// libFuzzer target: the number parser against the C library (see README.md).

#if canImport(Glibc)
  import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNumbers(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let token = UnsafeRawBufferPointer(start: data, count: size)
  guard let decimal = NumberParser.scan(token) else { return 0 }
  var text = [CChar](repeating: 0, count: size + 1)
  for index in 0..<size { text[index] = CChar(bitPattern: data[index]) }
  let float = NumberParser.float(decimal, text: token)
  let double = NumberParser.double(decimal, text: token)
  let expectedFloat = strtof(text, nil)
  let expectedDouble = strtod(text, nil)
  precondition(
    float.bitPattern == expectedFloat.bitPattern || (float.isNaN && expectedFloat.isNaN),
    "float \(float) != strtof \(expectedFloat) for \(String(decoding: token, as: UTF8.self))")
  precondition(
    double.bitPattern == expectedDouble.bitPattern,
    "double \(double) != strtod \(expectedDouble) for \(String(decoding: token, as: UTF8.self))")
  // The fast path may decline, but what it answers is strtof's answer.
  var fast: Float = .nan
  let read = withUnsafeMutablePointer(to: &fast) {
    FastFloats.readFields(token, into: UnsafeMutableBufferPointer(start: $0, count: 1))
  }
  if read != nil {
    precondition(
      fast.bitPattern == expectedFloat.bitPattern,
      "fast path \(fast) != strtof \(expectedFloat) for \(String(decoding: token, as: UTF8.self))")
  }
  // The same token as every field of a record long enough for the word path (which takes the
  // 32 bytes after a number's start at once): each value it reads is strtof's too.
  if size > 0 && size < 64 {
    let copies = 64 / size + 2
    var record: [UInt8] = []
    for copy in 0..<copies {
      if copy > 0 { record.append(UInt8(ascii: ",")) }
      record += UnsafeBufferPointer(start: data, count: size)
    }
    var values = [Float](repeating: .nan, count: copies)
    let fields = record.withUnsafeBytes { raw in
      values.withUnsafeMutableBufferPointer { FastFloats.readFields(raw, into: $0) }
    }
    if fields != nil {
      for value in values {
        precondition(
          value.bitPattern == expectedFloat.bitPattern,
          "word path \(value) != strtof \(expectedFloat) for \(String(decoding: token, as: UTF8.self))")
      }
    }
  }
  if let integer = NumberParser.int64(decimal), decimal.isInteger {
    let expected = strtoll(text, nil, 10)
    precondition(integer == expected, "int \(integer) != strtoll \(expected)")
  }
  return 0
}
