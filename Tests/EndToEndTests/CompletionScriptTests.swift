import Foundation
import Testing

/// The scripts `onnxpipe completions SHELL` prints, loaded into the real
/// shells (bash, zsh and fish from `make deps`) and asked for completions.
@Suite struct CompletionScriptTests {
  /// A folder with a model, a non-model file and a directory to complete among.
  static let directory: String = {
    let path = NSTemporaryDirectory() + "onnxpipe-completion-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path + "/models", withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: path + "/iris.onnx", contents: Data())
    FileManager.default.createFile(atPath: path + "/rows.csv", contents: Data())
    return path
  }()

  @Test func bashRegistersTheFunctionWhenSourced() throws {
    let result = try shell(
      "bash", ["-c", "source <(\"$ONNXPIPE\" completions bash) && complete -p onnxpipe"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout == "complete -F _onnxpipe onnxpipe\n")
    #expect(result.stderr == "")
  }

  @Test(arguments: [
    ("onnxpipe --in ''", "raw arrow ndjson csv lines"),
    ("onnxpipe --in c", "csv"),
    ("onnxpipe --in = n", "ndjson"),
    ("onnxpipe --on-error ''", "fail skip null"),
    ("onnxpipe --optimization e", "extended"),
    ("onnxpipe -j ''", "auto"),
    ("onnxpipe --batch-size ''", ""),
    ("onnxpipe ''", "inspect bench completions help models iris.onnx"),
    ("onnxpipe -j 2 --in csv ''", "models iris.onnx"),
    ("onnxpipe --in csv iris.onnx ''", "iris.onnx models rows.csv"),
    ("onnxpipe inspect ''", "models iris.onnx"),
    ("onnxpipe inspect iris.onnx ''", ""),
    ("onnxpipe inspect --j", "--json"),
    ("onnxpipe bench --s", "--sweep --sample"),
    ("onnxpipe --ver", "--version"),
    ("onnxpipe help ''", "inspect bench completions"),
    ("onnxpipe completions ''", "bash zsh fish --help"),
  ])
  func bashCompletes(line: String, expected: String) throws {
    // COMP_WORDS as bash splits the line (COMP_WORDBREAKS puts '=' in a word of its own).
    let script = """
      source <("$ONNXPIPE" completions bash)
      COMP_WORDS=(\(line)); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
      _onnxpipe; echo "${COMPREPLY[*]}"
      """
    let result = try shell("bash", ["-c", script])
    #expect(result.status == 0)
    #expect(words(result.stdout) == words(expected), "\(line)")
    #expect(result.stdout.hasSuffix("\n"))
    #expect(result.stderr == "")
  }

  @Test func zshScriptParsesAndRegistersWithCompinit() throws {
    let parse = try shell("zsh", ["-f", "-n", "-c", "source <(\"$ONNXPIPE\" completions zsh)"])
    #expect(parse.status == 0, "\(parse.stderr)")
    let script = """
      autoload -Uz compinit && compinit -u -D
      source <("$ONNXPIPE" completions zsh)
      print -r -- $_comps[onnxpipe]
      """
    let result = try shell("zsh", ["-f", "-c", script])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout == "_onnxpipe\n")
    #expect(result.stderr == "")
  }

  /// Drives an interactive zsh on a pseudo-terminal (zpty): loads the script,
  /// types LINE and a tab, and prints every match the completion system adds
  /// (compadd wrapped to print them; markers split so the echoed input never matches).
  static let zshCapture = #"""
    zmodload zsh/zpty
    zpty z zsh -f -i
    zpty -w z 'PROMPT= ; autoload -Uz compinit; compinit -u -D; source <("$ONNXPIPE" completions zsh)'
    zpty -w z 'zstyle ":completion:*" list-grouped false; zstyle ":completion:*" insert-tab false'
    zpty -w z 'compadd () { local -a h; builtin compadd -O h "$@"; (( $#h )) && print -rl -- "<"hit">"${^h}; builtin compadd "$@" }'
    zpty -w z 'comppostfuncs=(__done); __done() { print "<"done">"; exit }'
    zpty -w z "$LINE"$'\t'
    integer reads=0
    while zpty -r z out; do
      [[ $out == *'<hit>'* ]] && print -r -- ${${out#*<hit>}%%$'\r'}
      [[ $out == *'<done>'* ]] && break
      (( ++reads > 5000 )) && break
    done
    zpty -d z
    """#

  @Test(arguments: [
    ("onnxpipe --in ", "arrow csv lines ndjson raw"),
    ("onnxpipe --on-error=", "fail null skip"),
    ("onnxpipe ", "iris.onnx bench completions help inspect models"),
    ("onnxpipe -j ", "auto"),
    ("onnxpipe -j 2 --in csv ", "iris.onnx models"),
    ("onnxpipe iris.onnx ", "iris.onnx models rows.csv"),
    ("onnxpipe inspect --j", "--json"),
    ("onnxpipe inspect ", "iris.onnx models"),
    ("onnxpipe completions ", "bash fish zsh"),
  ])
  func zshCompletes(line: String, expected: String) throws {
    let result = try shell("zsh", ["-f", "-c", "LINE='\(line)'\n" + Self.zshCapture])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(words(result.stdout) == words(expected), "\(line)")
    #expect(result.stderr == "")
  }

  @Test(arguments: [
    ("onnxpipe --in ", "arrow csv lines ndjson raw"),
    ("onnxpipe --on-error=", "--on-error=fail --on-error=null --on-error=skip"),
    ("onnxpipe ", "iris.onnx bench completions help inspect models/"),
    ("onnxpipe -j 2 ", "iris.onnx models/"),
    ("onnxpipe iris.onnx ", "iris.onnx models/ rows.csv"),
    ("onnxpipe inspect --j", "--json"),
    ("onnxpipe completions ", "bash fish zsh"),
  ])
  func fishCompletes(line: String, expected: String) throws {
    let script = """
      "$ONNXPIPE" completions fish | source
      set -l found (complete -C'\(line)' | string replace -r '\\t.*' '')
      echo $found
      """
    let result = try shell("fish", ["--no-config", "-c", script])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(words(result.stdout) == words(expected), "\(line)")
    #expect(result.stdout.hasSuffix("\n"))
    #expect(result.stderr == "")
  }

  /// The words of a completion list, sorted: files come in the directory's order.
  func words(_ text: String) -> [String] {
    text.split(whereSeparator: \.isWhitespace).map(String.init).sorted()
  }

  /// Runs `program` (found on PATH) in `directory` with `ONNXPIPE` naming the binary under test.
  func shell(_ program: String, _ arguments: [String]) throws -> (
    status: Int32, stdout: String, stderr: String
  ) {
    guard
      let path = ["/usr/bin/", "/bin/", "/usr/local/bin/"].map({ $0 + program })
        .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
    else {
      Issue.record("\(program) is not installed: run 'make deps'")
      return (-1, "", "")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: Self.directory)
    var environment = ProcessInfo.processInfo.environment
    environment["ONNXPIPE"] = binaryPath
    process.environment = environment
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let errors = DataBox()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      errors.data = stderr.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    group.wait()
    return (
      process.terminationStatus, String(decoding: output, as: UTF8.self),
      String(decoding: errors.data, as: UTF8.self)
    )
  }
}
