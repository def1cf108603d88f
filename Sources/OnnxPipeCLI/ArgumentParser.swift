import OnnxPipeCore

/// Command-line arguments split by the option table: no meaning given yet.
public struct ParsedArguments: Sendable, Equatable {
  public var command: Command = .score
  /// Values by long option name; flags map to `[""]`.
  public var values: [String: [String]] = [:]
  public var positionals: [String] = []

  /// Whether the flag or option was given.
  public func has(_ long: String) -> Bool { values[long] != nil }

  /// The last value given for `long`.
  public func value(_ long: String) -> String? { values[long]?.last }
}

/// Splits `arguments` (without the program name) by `OptionSpec.table`.
///
/// Accepts `--name VALUE`, `--name=VALUE`, `-j VALUE`, `-jVALUE`, and `--`
/// to end options. The first positional may name a subcommand; `help [COMMAND]`
/// is `[COMMAND] --help` (the word wins over a model file named `help`: `./help`
/// reaches the file).
public func parseArguments(_ arguments: [String]) throws(PipeError) -> ParsedArguments {
  var parsed = ParsedArguments()
  var rest = arguments[...]
  if rest.first == "help" {
    return try parseHelpCommand(rest.dropFirst())
  }
  if let first = rest.first, let command = Command(rawValue: first), command != .score {
    parsed.command = command
    rest = rest.dropFirst()
  }
  var onlyPositionals = false
  while let argument = rest.popFirst() {
    if onlyPositionals || argument == "-" || !argument.hasPrefix("-") {
      parsed.positionals.append(argument)
      continue
    }
    if argument == "--" {
      onlyPositionals = true
      continue
    }
    let spec: OptionSpec
    var inlineValue: String?
    if argument.hasPrefix("--") {
      let body = argument.dropFirst(2)
      let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
      if let equals = body.firstIndex(of: "=") { inlineValue = String(body[body.index(after: equals)...]) }
      guard let found = OptionSpec.table.first(where: { $0.long == name }) else {
        let guess = OptionSpec.suggestion(for: name, command: parsed.command)
        throw PipeError(
          .usage, "unknown option '--\(name)'" + (guess.map { "; did you mean '--\($0)'?" } ?? ""))
      }
      spec = found
    } else {
      let letter = argument.dropFirst().first!
      guard let found = OptionSpec.table.first(where: { $0.short == letter }) else {
        throw PipeError(.usage, "unknown option '-\(letter)'")
      }
      spec = found
      let attached = argument.dropFirst(2)
      if !attached.isEmpty { inlineValue = String(attached) }
    }
    guard spec.commands.contains(parsed.command) || spec.long == "help" else {
      throw PipeError(.usage, "option '--\(spec.long)' does not apply to '\(parsed.command.rawValue)'")
    }
    let value: String
    if spec.value == nil {
      guard inlineValue == nil else { throw PipeError(.usage, "option '--\(spec.long)' takes no value") }
      value = ""
    } else if let inlineValue {
      value = inlineValue
    } else if let next = rest.popFirst() {
      value = next
    } else {
      throw PipeError(.usage, "option '--\(spec.long)' needs a value (\(spec.value!))")
    }
    if !spec.repeatable, parsed.values[spec.long] != nil, spec.value != nil {
      parsed.values[spec.long] = [value]
    } else {
      parsed.values[spec.long, default: []].append(value)
    }
  }
  return parsed
}

/// `onnxpipe help [COMMAND]`: the arguments after `help`, as `COMMAND --help`.
private func parseHelpCommand(_ rest: ArraySlice<String>) throws(PipeError) -> ParsedArguments {
  var parsed = ParsedArguments()
  parsed.values["help"] = [""]
  guard let topic = rest.first else { return parsed }
  let known = Command.allCases.filter { $0 != .score }
  guard let command = known.first(where: { $0.rawValue == topic }) else {
    let names = known.map(\.rawValue).joined(separator: ", ")
    throw PipeError(.usage, "help: unknown command '\(topic)' (known: \(names))")
  }
  guard rest.count == 1 else {
    throw PipeError(.usage, "help: unexpected argument '\(rest[rest.startIndex + 1])' (one command at most)")
  }
  parsed.command = command
  return parsed
}
