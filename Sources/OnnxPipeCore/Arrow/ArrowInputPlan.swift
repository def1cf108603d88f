/// How one column of an Arrow stream is read as tensor rows: the list levels
/// from the column down, then the leaf array holding the values.
struct ArrowColumnPlan: Sendable, Equatable {
  enum Level: Sendable, Equatable {
    /// `List` or `LargeList` (only as the outermost level; every row must have the same length).
    case list(large: Bool)
    case fixed(Int)
  }

  enum Leaf: Sendable, Equatable {
    /// Numbers, one `element` each.
    case values(ElementType)
    /// `Bool`: one bit each.
    case bits
    /// `Utf8` or `LargeUtf8`.
    case strings(large: Bool)
  }

  let name: String
  let levels: [Level]
  let leaf: Leaf
  /// Field node index of each level, then of the leaf.
  let nodes: [Int]
  /// First buffer index of each level, then of the leaf.
  let buffers: [Int]

  /// Leaf elements per element of the list level: the product of the fixed sizes below it.
  var elementsPerListItem: Int {
    levels.reduce(1) { product, level in if case .fixed(let size) = level { product * size } else { product }
    }
  }

  var hasList: Bool { levels.first == .list(large: false) || levels.first == .list(large: true) }

  /// The leaf's element type as a tensor sees it.
  var element: ElementType {
    switch leaf {
    case .values(let element): element
    case .bits: .bool
    case .strings: .string
    }
  }

  /// Plans `field`, whose first node and buffer are at `node` and `buffer`; nil
  /// with the reason when its type cannot feed a tensor.
  static func make(_ field: ArrowField, node: Int, buffer: Int) -> Result<ArrowColumnPlan, PipeError> {
    var levels: [Level] = []
    var nodes: [Int] = []
    var buffers: [Int] = []
    var current = field
    var node = node
    var buffer = buffer
    while true {
      nodes.append(node)
      buffers.append(buffer)
      node += 1
      buffer += current.type.bufferCount
      switch current.type {
      case .list, .largeList:
        guard levels.isEmpty else {
          return .failure(
            PipeError(.model, "column '\(field.name)': a list inside a list cannot feed a tensor"))
        }
        levels.append(.list(large: current.type == .largeList))
      case .fixedSizeList(let size):
        levels.append(.fixed(Int(size)))
      case .utf8, .largeUtf8:
        return .success(
          ArrowColumnPlan(
            name: field.name, levels: levels, leaf: .strings(large: current.type == .largeUtf8), nodes: nodes,
            buffers: buffers))
      case .bool:
        return .success(
          ArrowColumnPlan(name: field.name, levels: levels, leaf: .bits, nodes: nodes, buffers: buffers))
      default:
        guard let element = current.type.element else {
          return .failure(
            PipeError(.model, "column '\(field.name)' is \(describe(field)), which cannot feed a tensor"))
        }
        return .success(
          ArrowColumnPlan(
            name: field.name, levels: levels, leaf: .values(element), nodes: nodes, buffers: buffers))
      }
      current = current.children[0]
    }
  }

  /// `fixed_size_list[32]<float32>`.
  static func describe(_ field: ArrowField) -> String {
    field.children.isEmpty
      ? field.type.name : "\(field.type.name)<\(field.children.map(describe).joined(separator: ","))>"
  }
}

/// One model input fed from an Arrow stream: from one column, or gathered
/// from several one-value columns (a table of scalar columns x0..x31).
struct ArrowInputPlan: Sendable, Equatable {
  let input: TextInput
  let columns: [ArrowColumnPlan]

  var gathers: Bool { columns.count > 1 }
}

/// Where each model input comes from in a stream of `schema`.
struct ArrowInputLayout: Sendable {
  let inputs: [ArrowInputPlan]
  /// First field node and buffer of each top-level column.
  let columnNodes: [Int]
  let columnBuffers: [Int]
  let nodeCount: Int
  let bufferCount: Int
  let schema: ArrowSchema

  /// - Parameters:
  ///   - fields: `--input NAME=COLUMN`.
  ///   - columns: `--columns a,b,c`: the scalar columns gathered into a single input.
  init(schema: ArrowSchema, inputs: [TextInput], fields: [String: String], columns: [String]?)
    throws(PipeError)
  {
    self.schema = schema
    var nodes: [Int] = []
    var buffers: [Int] = []
    var node = 0
    var buffer = 0
    for field in schema.fields {
      nodes.append(node)
      buffers.append(buffer)
      node += field.nodeCount
      buffer += field.bufferCount
    }
    columnNodes = nodes
    columnBuffers = buffers
    nodeCount = node
    bufferCount = buffer
    for name in fields.keys where !inputs.contains(where: { $0.name == name }) {
      throw PipeError(.usage, "--input: the model has no input '\(name)'")
    }
    let names = schema.fields.map(\.name)
    func plan(_ column: Int) throws(PipeError) -> ArrowColumnPlan {
      switch ArrowColumnPlan.make(schema.fields[column], node: nodes[column], buffer: buffers[column]) {
      case .success(let plan): return plan
      case .failure(let error): throw error
      }
    }
    var plans: [ArrowInputPlan] = []
    for input in inputs {
      let wanted = fields[input.name].map(FieldPath.name) ?? input.name
      if columns == nil, let column = try Self.column(for: input.name, fields: fields, in: names) {
        let columnPlan = try plan(column)
        try Self.check(columnPlan, feeds: input)
        plans.append(ArrowInputPlan(input: input, columns: [columnPlan]))
        continue
      }
      guard inputs.count == 1, fields[input.name] == nil else {
        throw Self.unmapped(input, wanted, inputs: inputs, fields: fields, names: names)
      }
      // One input and no column of its name: gather one-value columns, like CSV.
      var chosen: [Int] = []
      if let columns {
        for name in columns {
          guard let column = names.firstIndex(of: name) else {
            throw PipeError(
              .usage,
              "--columns: the stream has no column '\(name)' (columns: \(names.joined(separator: ", ")))")
          }
          chosen.append(column)
        }
      } else {
        chosen = schema.fields.indices.filter { column in
          let field = schema.fields[column]
          return input.element == .string
            ? [.utf8, .largeUtf8].contains(field.type)
            : field.type.element != nil
        }
      }
      guard chosen.count == input.rowElements else {
        throw PipeError(
          .model,
          "input '\(input.name)' takes \(input.rowElements) values a row; the stream has no column '\(input.name)' and \(chosen.count) \(columns == nil ? "one-value columns" : "--columns") (columns: \(names.joined(separator: ", ")))"
        )
      }
      var gathered: [ArrowColumnPlan] = []
      for column in chosen {
        let columnPlan = try plan(column)
        guard columnPlan.levels.isEmpty else {
          throw PipeError(.model, "--columns: column '\(columnPlan.name)' holds lists, not one value a row")
        }
        try Self.checkElement(columnPlan, feeds: input)
        gathered.append(columnPlan)
      }
      plans.append(ArrowInputPlan(input: input, columns: gathered))
    }
    self.inputs = plans
  }

  private static func check(_ plan: ArrowColumnPlan, feeds input: TextInput) throws(PipeError) {
    try checkElement(plan, feeds: input)
    let fixed = plan.elementsPerListItem
    let fits = plan.hasList ? fixed > 0 && input.rowElements % fixed == 0 : fixed == input.rowElements
    guard fits else {
      throw PipeError(
        .model,
        "column '\(plan.name)' holds \(fixed) values a row; input '\(input.name)' takes \(input.rowElements) (\(input.element.rawValue)\(input.rowShape))"
      )
    }
  }

  private static func checkElement(_ plan: ArrowColumnPlan, feeds input: TextInput) throws(PipeError) {
    let element = plan.element
    let fits = element == input.element || (element != .string && input.element != .string)
    guard fits else {
      throw PipeError(
        .model,
        "column '\(plan.name)' holds \(element.rawValue) values; input '\(input.name)' takes \(input.element.rawValue)"
      )
    }
  }
}
