extension ScoreOptions {
  /// Why the output must not go to standard output, or nil: binary output
  /// (raw frames, an Arrow stream) is refused when standard output is a
  /// terminal, where it would only garble the screen, unless `--force` is
  /// given (as gzip refuses to write compressed data to a terminal).
  public func terminalRefusal(stdoutIsTerminal: Bool) -> String? {
    guard stdoutIsTerminal, !force else { return nil }
    switch output {
    case "raw":
      return "refusing to write binary raw frames to a terminal; redirect stdout"
        + " (> FILE or | PROGRAM), or add --force"
    case "arrow":
      return "refusing to write a binary Arrow stream to a terminal; redirect stdout,"
        + " choose --out ndjson or --out csv, or add --force"
    default:
      return nil
    }
  }
}
