import OnnxPipeCore
import OnnxRuntime

#if canImport(Glibc)
  import Glibc
#endif

/// Opens a model file as a session, turning every way that can fail into a
/// `PipeError` with the right kind and a hint.
enum ModelLoader {
  static func load(
    path: String, intraThreads: Int = 1, optimization: String = "all"
  ) throws(PipeError) -> Session {
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw PipeError(.noInput, "cannot open model '\(path)': \(String(cString: strerror(errno)))")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw PipeError(.noInput, "cannot open model '\(path)': not a regular file")
    }
    guard access(path, R_OK) == 0 else {
      throw PipeError(.noInput, "cannot open model '\(path)': \(String(cString: strerror(errno)))")
    }
    let level: SessionOptions.Optimization =
      switch optimization {
      case "disabled": .disabled
      case "basic": .basic
      case "extended": .extended
      default: .all
      }
    let options = SessionOptions(intraOpThreads: intraThreads, optimization: level)
    do {
      return try StderrFilter.run { () throws(ORTError) -> Session in
        try Session(modelPath: path, options: options)
      }
    } catch let error as ORTError {
      throw PipeError(.model, "cannot load model '\(path)': \(explain(error.message))")
    } catch {
      throw PipeError(.software, "cannot load model '\(path)': \(error)")
    }
  }

  /// ONNX Runtime's message on one line, with a hint for failures we know.
  static func explain(_ message: String) -> String {
    let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    if oneLine.contains("locale::facet") || oneLine.contains("StringNormalizer") && oneLine.contains("locale")
    {
      return oneLine
        + " (the en_US.UTF-8 locale is missing: install 'locales' and run locale-gen, or 'make deps')"
    }
    return oneLine
  }
}
