extension TextFormat {
  /// This format with what a missing value becomes decided again by `policy`:
  /// a reloaded model (`--watch`, SIGHUP) has a graph of its own, so `auto`
  /// follows it. The inputs stay as they were when `policy` does not fit them
  /// (a reload is refused unless the inputs match).
  public func resolvingMissing(_ policy: MissingValuePolicy) -> TextFormat {
    var format = self
    if let inputs = try? policy.apply(to: inputs) { format.inputs = inputs }
    return format
  }
}
