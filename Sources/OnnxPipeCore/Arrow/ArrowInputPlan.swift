/// How one column of an Arrow stream is read as tensor rows: the list levels
/// from the column down, then the leaf array holding the values.
struct ArrowColumnPlan: Sendable, Equatable {
  enum Level: Sendable, Equatable {
    /// `List` or `LargeList` (only as the outermost level; every row must have the same length).
    case list(large: Bool)
    /// `ListView` or `LargeListView`, like `list`.
    case listView(large: Bool)
    case fixed(Int)
  }

  enum Leaf: Sendable, Equatable {
    /// Numbers, one `element` each.
    case values(ElementType)
    /// `Bool`: one bit each.
    case bits
    /// `Utf8` or `LargeUtf8`.
    case strings(large: Bool)
    /// `Utf8View`.
    case stringViews
    /// Indices of type `index` into dictionary `id`, whose values are strings or numbers of `valueType`.
    case dictionary(id: Int64, index: ElementType, valueType: ArrowType)
  }

  let name: String
  let levels: [Level]
  let leaf: Leaf
  /// Field node index of each level, then of the leaf.
  let nodes: [Int]
  /// First buffer index of each level, then of the leaf, in one record batch
  /// (they move from batch to batch after a view column): empty until `resolved(in:)`.
  let buffers: [Int]

  /// Leaf elements per element of the list level: the product of the fixed sizes below it.
  var elementsPerListItem: Int {
    levels.reduce(1) { product, level in if case .fixed(let size) = level { product * size } else { product }
    }
  }

  var hasList: Bool {
    switch levels.first {
    case .list, .listView: true
    default: false
    }
  }

  /// The leaf's element type as a tensor sees it.
  var element: ElementType {
    switch leaf {
    case .values(let element): element
    case .bits: .bool
    case .strings, .stringViews: .string
    case .dictionary(_, _, let valueType): valueType.stringLayout != nil ? .string : valueType.element!
    }
  }

  /// Plans `field`, whose first node is `node`; nil with the reason when its
  /// type cannot feed a tensor.
  static func make(_ field: ArrowField, node: Int) -> Result<ArrowColumnPlan, PipeError> {
    var levels: [Level] = []
    var nodes: [Int] = []
    let buffers: [Int] = []
    var current = field
    var node = node
    while true {
      nodes.append(node)
      node += 1
      if let encoding = current.dictionary {
        // Indices at this node; the values (strings or numbers) in the stream's dictionary batches.
        guard current.type.stringLayout != nil || (current.type.element != nil && current.type != .bool),
          let index = encoding.indexType.element
        else {
          return .failure(
            PipeError(
              .model,
              "column '\(field.name)' is \(describe(field)), which cannot feed a tensor; decode it to its values first"
            ))
        }
        return .success(
          ArrowColumnPlan(
            name: field.name, levels: levels,
            leaf: .dictionary(id: encoding.id, index: index, valueType: current.type),
            nodes: nodes, buffers: buffers))
      }
      switch current.type {
      case .list, .largeList, .listView, .largeListView:
        guard levels.isEmpty else {
          return .failure(
            PipeError(.model, "column '\(field.name)': a list inside a list cannot feed a tensor"))
        }
        let large = current.type == .largeList || current.type == .largeListView
        levels.append(
          current.type == .list || current.type == .largeList ? .list(large: large) : .listView(large: large))
      case .fixedSizeList(let size):
        levels.append(.fixed(Int(size)))
      case .utf8, .largeUtf8:
        return .success(
          ArrowColumnPlan(
            name: field.name, levels: levels, leaf: .strings(large: current.type == .largeUtf8), nodes: nodes,
            buffers: buffers))
      case .utf8View:
        return .success(
          ArrowColumnPlan(
            name: field.name, levels: levels, leaf: .stringViews, nodes: nodes, buffers: buffers))
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

  /// `fixed_size_list[32]<float32>`, `dictionary<utf8>`.
  static func describe(_ field: ArrowField) -> String {
    var values = field
    values.dictionary = nil
    let name =
      field.children.isEmpty
      ? field.type.name : "\(field.type.name)<\(field.children.map(describe).joined(separator: ","))>"
    return field.dictionary == nil ? name : "dictionary<\(describe(values))>"
  }
}

/// One model input fed from an Arrow stream: from one column, or gathered
/// from several one-value columns (a table of scalar columns x0..x31).
struct ArrowInputPlan: Sendable, Equatable {
  let input: InputRow
  let columns: [ArrowColumnPlan]

  var gathers: Bool { columns.count > 1 }
}

/// Where each model input comes from in a stream of `schema`.
struct ArrowInputLayout: Sendable {
  let inputs: [ArrowInputPlan]
  /// First field node of each top-level column.
  let columnNodes: [Int]
  /// Where each record batch's arrays find their buffers.
  let arrays: ArrowArrayLayout
  let schema: ArrowSchema

  /// - Parameters:
  ///   - fields: `--input NAME=COLUMN`.
  ///   - columns: `--columns a,b,c`: the scalar columns gathered into a single input.
  init(schema: ArrowSchema, inputs: [InputRow], fields: [String: String], columns: [String]?)
    throws(PipeError)
  {
    self.schema = schema
    var nodes: [Int] = []
    var node = 0
    for field in schema.fields {
      nodes.append(node)
      node += field.nodeCount
    }
    columnNodes = nodes
    arrays = schema.layout
    for name in fields.keys where !inputs.contains(where: { $0.name == name }) {
      throw PipeError(.usage, "--input: the model has no input '\(name)'")
    }
    let names = schema.fields.map(\.name)
    func plan(_ column: Int) throws(PipeError) -> ArrowColumnPlan {
      switch ArrowColumnPlan.make(schema.fields[column], node: nodes[column]) {
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
          // Strings of any layout, dictionary-encoded too; numbers only as themselves (a category is a label).
          return input.element == .string
            ? field.type.stringLayout != nil
            : field.type.element != nil && field.dictionary == nil
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

  private static func check(_ plan: ArrowColumnPlan, feeds input: InputRow) throws(PipeError) {
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

  private static func checkElement(_ plan: ArrowColumnPlan, feeds input: InputRow) throws(PipeError) {
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
