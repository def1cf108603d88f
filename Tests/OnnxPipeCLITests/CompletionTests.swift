import Testing

@testable import OnnxPipeCLI
@testable import OnnxPipeCore

@Suite struct CompletionTests {
  @Test(arguments: Completions.Shell.allCases)
  func everyOptionOfTheTableIsInEachScript(shell: Completions.Shell) {
    let script = Completions.script(for: shell)
    for spec in OptionSpec.table {
      switch shell {
      case .bash:
        // Offered after '-' for each of its commands, and its value completed (or left alone) after it.
        for command in spec.commands where command != .completions {
          #expect(
            bashOptionWords(script, command).contains("--\(spec.long)"), "--\(spec.long) for \(command)")
          if let short = spec.short { #expect(bashOptionWords(script, command).contains("-\(short)")) }
        }
        if spec.value != nil {
          let spelling = "    --\(spec.long)" + (spec.short.map { "|-\($0)" } ?? "") + ") "
          #expect(script.contains("\n" + spelling), "--\(spec.long)'s value")
        }
      case .zsh:
        let spellings = ["--\(spec.long)[", "--\(spec.long)=[", ",--\(spec.long)}", ",--\(spec.long)=}"]
        #expect(spellings.contains { script.contains($0) }, "--\(spec.long)")
        if let short = spec.short {
          #expect(script.contains("{-\(short),") || script.contains("{-\(short)+,"))
        }
      case .fish:
        #expect(script.contains(" -l \(spec.long) "), "--\(spec.long)")
        if let short = spec.short { #expect(script.contains(" -s \(short) -l \(spec.long) ")) }
      }
    }
  }

  @Test(arguments: Completions.Shell.allCases)
  func everySubcommandAndEveryFixedValueIsInEachScript(shell: Completions.Shell) {
    let script = Completions.script(for: shell)
    for command in Command.allCases where command != .score {
      #expect(script.contains(command.rawValue), "\(command)")
    }
    for (long, values) in Completions.choices {
      #expect(script.contains(values.joined(separator: " ")), "--\(long): \(values)")
    }
    #expect(script.contains(".onnx"), "models are completed by their suffix")
  }

  /// Each value offered is one the option accepts, and each option whose
  /// error lists its values lists exactly the ones offered.
  @Test(arguments: Completions.choices.keys.sorted())
  func everyOfferedValueIsAccepted(long: String) throws {
    #expect(OptionSpec.table.contains { $0.long == long && $0.value != nil })
    func arguments(_ value: String) -> [String] {
      switch long {
      case "out": value == "raw" ? ["--out", "raw", "m.onnx"] : ["--in", "csv", "--out", value, "m.onnx"]
      case "on-error", "missing": ["--in", "csv", "--\(long)", value, "m.onnx"]
      default: ["--\(long)", value, "m.onnx"]
      }
    }
    for value in Completions.choices[long]! {
      #expect(throws: Never.self, "--\(long) \(value)") { try ScoreOptions(parseArguments(arguments(value))) }
    }
    var message = ""
    do { _ = try ScoreOptions(parseArguments(arguments("bogus"))) } catch { message = error.message }
    #expect(message.hasPrefix("--\(long): "), "bogus must be refused: \(message)")
    if ["in", "out", "format", "on-error", "optimization"].contains(long) {
      // The list in the message: "(known: raw, arrow, csv)" or "expected fail, skip or null, got".
      var listed = message.split(separator: "known: ").last.map(String.init) ?? message
      listed = String(listed.split(separator: ", got").first ?? Substring(listed))
      let words = listed.replacingOccurrences(of: "expected ", with: "").split(whereSeparator: {
        ",() ".contains($0)
      })
      .filter { $0 != "or" && !$0.hasPrefix("--") && !$0.hasSuffix(":") && $0 != "unknown" && $0 != "format" }
      .filter { !$0.hasPrefix("'") }
      #expect(Set(words.map(String.init)) == Set(Completions.choices[long]!), "\(message)")
    }
  }

  @Test func completionsNeedsOneKnownShell() throws {
    #expect(throws: PipeError(.usage, "completions: name a shell (bash, zsh, fish)")) {
      try Completions.run(parseArguments(["completions"]))
    }
    #expect(throws: PipeError(.usage, "completions: unknown shell 'tcsh' (known: bash, zsh, fish)")) {
      try Completions.run(parseArguments(["completions", "tcsh"]))
    }
    #expect(throws: PipeError(.usage, "completions: unexpected argument 'zsh' (one shell only)")) {
      try Completions.run(parseArguments(["completions", "bash", "zsh"]))
    }
    #expect(try Completions.run(parseArguments(["completions", "zsh"])).hasPrefix("#compdef onnxpipe\n"))
  }

  @Test func zshDescriptionsEscapeBracketsAndQuotes() {
    #expect(Completions.zshEscaped("a [b] c\\") == "a \\[b\\] c\\\\")
    #expect(Completions.zshQuoted("model's") == "'model'\\''s'")
    #expect(Completions.fishQuoted("model's \\") == "'model\\'s \\\\'")
  }
}

/// The words bash offers after `-` for `command`.
private func bashOptionWords(_ script: String, _ command: Command) -> Set<String> {
  let prefix = "      \(command.rawValue)) mapfile -t COMPREPLY < <(compgen -W '"
  guard let line = script.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return [] }
  let words = line.dropFirst(prefix.count).prefix(while: { $0 != "'" })
  return Set(words.split(separator: " ").map(String.init))
}
