import Foundation

/// An ONNX model that takes a few hundred milliseconds to load: `Y = X + 0 + 0 + ...`, a chain
/// of `adds` Add nodes (ONNX Runtime resolves and optimizes each; 20000 took 0.17 s in a release
/// build, 0.4 s in a debug one, from a 0.5 MB file). X and Y are float32[N,1]. Written as
/// protobuf by hand: the tests have no ONNX library.
func slowLoadingModel(adds: Int) -> [UInt8] {
  var zero = Protobuf()
  zero.varint(1, 1)  // dims
  zero.varint(2, 1)  // data_type FLOAT
  zero.string(8, "c")
  zero.bytes(9, [0, 0, 0, 0])  // raw_data
  func column(_ name: String) -> Protobuf {
    var rows = Protobuf()
    rows.string(2, "N")  // dim_param
    var one = Protobuf()
    one.varint(1, 1)  // dim_value
    var shape = Protobuf()
    shape.message(1, rows)
    shape.message(1, one)
    var tensor = Protobuf()
    tensor.varint(1, 1)  // elem_type FLOAT
    tensor.message(2, shape)
    var type = Protobuf()
    type.message(1, tensor)
    var info = Protobuf()
    info.string(1, name)
    info.message(2, type)
    return info
  }
  var graph = Protobuf()
  for index in 0..<adds {
    var add = Protobuf()
    add.string(1, index == 0 ? "X" : "t\(index - 1)")
    add.string(1, "c")
    add.string(2, index == adds - 1 ? "Y" : "t\(index)")
    add.string(4, "Add")
    graph.message(1, add)
  }
  graph.string(2, "slow")
  graph.message(5, zero)
  graph.message(11, column("X"))
  graph.message(12, column("Y"))
  var opset = Protobuf()
  opset.string(1, "")
  opset.varint(2, 13)
  var model = Protobuf()
  model.varint(1, 8)  // ir_version
  model.message(8, opset)
  model.message(7, graph)
  return model.bytes
}

/// Protobuf wire format, the few field kinds a model needs.
struct Protobuf {
  var bytes: [UInt8] = []

  mutating func varint(_ field: Int, _ value: UInt64) {
    raw(UInt64(field << 3))
    raw(value)
  }

  mutating func bytes(_ field: Int, _ data: [UInt8]) {
    raw(UInt64(field << 3 | 2))
    raw(UInt64(data.count))
    bytes += data
  }

  mutating func string(_ field: Int, _ text: String) { bytes(field, Array(text.utf8)) }

  mutating func message(_ field: Int, _ message: Protobuf) { bytes(field, message.bytes) }

  private mutating func raw(_ value: UInt64) {
    var value = value
    while value >= 0x80 {
      bytes.append(UInt8(value & 0x7F) | 0x80)
      value >>= 7
    }
    bytes.append(UInt8(value))
  }
}
