/// Where each array of a record batch finds its buffers.
///
/// A record batch lists one field node per array and the arrays' buffers, both
/// in depth-first order of the schema's fields. Most types own a fixed number
/// of buffers, but a `BinaryView`/`Utf8View` array has its data in a number of
/// variadic buffers that each batch states (`variadicBufferCounts`, one entry
/// per view array in the same order), so the buffers of every array after the
/// first view array move from batch to batch:
///
/// ```
///   nodes:    X              s (utf8_view)              k
///   buffers:  X.validity     s.validity s.views s.data0 s.data1   k.validity k.values
///                             fixed: 2             variadic: 2 (this batch)
/// ```
///
/// A dictionary-encoded field is one node with a validity and an indices
/// buffer; its values' arrays are in the dictionary batches, not here. A union
/// in metadata V4 (before Arrow 1.0) has a validity buffer that V5 dropped.
struct ArrowArrayLayout: Sendable, Equatable {
  struct Node: Sendable, Equatable {
    /// Buffers the array always has.
    var fixedBuffers: Int
    /// Whether its variadic buffer count comes next in `variadicBufferCounts`.
    var variadic: Bool
    /// A V4 union: its first buffer is a validity bitmap that V5 has not.
    var legacyUnionValidity: Bool
  }

  let nodes: [Node]
  /// Arrays with variadic buffers (entries expected in `variadicBufferCounts`).
  let variadicArrays: Int
  let fixedBuffers: Int

  /// The layout of record batches of `fields`, written with metadata `version` (3 is V4, 4 is V5).
  init(fields: [ArrowField], version: Int16) {
    var nodes: [Node] = []
    func walk(_ field: ArrowField) {
      if field.dictionary != nil {
        nodes.append(Node(fixedBuffers: 2, variadic: false, legacyUnionValidity: false))
        return
      }
      var fixed = field.type.bufferCount
      var legacy = false
      if case .union = field.type, version < 4 {
        fixed += 1
        legacy = true
      }
      nodes.append(
        Node(fixedBuffers: fixed, variadic: field.type.hasVariadicBuffers, legacyUnionValidity: legacy))
      for child in field.children { walk(child) }
    }
    for field in fields { walk(field) }
    self.nodes = nodes
    variadicArrays = nodes.count(where: \.variadic)
    fixedBuffers = nodes.reduce(0) { $0 + $1.fixedBuffers }
  }

  /// The first buffer of each node in a record batch with `header`, then the
  /// number of buffers; an error when the header has other counts than the
  /// schema calls for.
  func bufferStarts(_ header: ArrowRecordBatch) throws(PipeError) -> [Int] {
    let variadic = header.variadicBufferCounts
    var expected = fixedBuffers
    if variadic.count == variadicArrays {
      for count in variadic where count <= header.buffers.count { expected += count }
    }
    guard header.nodes.count == nodes.count, variadic.count == variadicArrays,
      variadic.allSatisfy({ $0 <= header.buffers.count }), header.buffers.count == expected
    else {
      let views =
        variadicArrays == 0 && variadic.isEmpty
        ? ""
        : " (\(variadic.count) variadic buffer counts for \(variadicArrays) view arrays)"
      throw PipeError(
        .data,
        "the record batch has \(header.nodes.count) field nodes and \(header.buffers.count) buffers; the schema calls for \(nodes.count) and \(expected)\(views)"
      )
    }
    var starts: [Int] = []
    starts.reserveCapacity(nodes.count + 1)
    var buffer = 0
    var nextVariadic = 0
    for node in nodes {
      starts.append(buffer)
      buffer += node.fixedBuffers
      if node.variadic {
        buffer += variadic[nextVariadic]
        nextVariadic += 1
      }
    }
    starts.append(buffer)
    return starts
  }

  /// How many view arrays come before node `node` (where its entry in `variadicBufferCounts` is).
  func variadicArrays(before node: Int) -> Int {
    nodes[..<node].count(where: \.variadic)
  }
}

extension ArrowColumnPlan {
  /// The plan with the buffers of its levels and leaf as they lie in `view`.
  func resolved(in view: ArrowBatchView) -> ArrowColumnPlan {
    ArrowColumnPlan(
      name: name, levels: levels, leaf: leaf, nodes: nodes, buffers: nodes.map { view.bufferStarts[$0] })
  }
}
