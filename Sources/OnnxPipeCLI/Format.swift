/// Small number formatting for human-facing lines, without Foundation.
enum Format {
  /// `value` with `decimals` digits after the point (rounded).
  static func fixed(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : "inf" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled - Double(whole) * scale)
    let sign = value < 0 && scaled > 0 ? "-" : ""
    guard decimals > 0 else { return sign + String(whole) }
    let digits = String(fraction)
    return sign + String(whole) + "." + String(repeating: "0", count: decimals - digits.count) + digits
  }

  /// `1.23 M`, `456 k`, `789`: a rate with an SI prefix.
  static func si(_ value: Double) -> String {
    switch value {
    case 1e9...: fixed(value / 1e9, 2) + " G"
    case 1e6...: fixed(value / 1e6, 2) + " M"
    case 1e3...: fixed(value / 1e3, 1) + " k"
    default: fixed(value, 0) + " "
    }
  }

  /// Milliseconds from nanoseconds, 3 decimals.
  static func milliseconds(_ nanoseconds: UInt64) -> String {
    fixed(Double(nanoseconds) / 1e6, 3)
  }
}
