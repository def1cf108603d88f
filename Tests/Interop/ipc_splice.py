"""Adds one column to an Arrow IPC stream without touching anything else in it.

The Arrow project's integration streams hold every type but no column a model
could take. `add_column` returns the same stream with a last column appended:
the schema message gets one more field, each record batch one more array (its
buffers after the body), and every other message (dictionary batches, the end
marker) is copied byte for byte, so the types and message layouts under test
are exactly the producer's, legacy framing and V4 metadata included.

How: a FlatBuffers buffer refers to its objects by offsets relative to where
each offset is stored, so the original metadata keeps working when moved as a
block. New tables (the Message, Schema or RecordBatch, and the new field) are
written in front of the block and point forward into it for everything reused.

    [root offset][new Message][new Schema / RecordBatch][new objects][padding][old metadata, unchanged]

Field ids follow Arrow's format/Message.fbs and format/Schema.fbs:
Message(version 0, header_type 1, header 2, bodyLength 3), Schema(endianness 0,
fields 1, custom_metadata 2, features 3), Field(name 0, nullable 1, type_type 2,
type 3, dictionary 4, children 5), RecordBatch(length 0, nodes 1, buffers 2,
compression 3, variadicBufferCounts 4).
"""

import struct

CONTINUATION = 0xFFFFFFFF
SCHEMA, DICTIONARY_BATCH, RECORD_BATCH = 1, 2, 3


# -- reading -----------------------------------------------------------------


class Table:
    """A FlatBuffers table in `buf` at `pos`."""

    def __init__(self, buf, pos):
        self.buf = buf
        self.pos = pos
        self.vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vsize = struct.unpack_from("<H", buf, self.vtable)[0]

    def field(self, index):
        """Absolute position of field `index`, or None when absent."""
        entry = 4 + 2 * index
        if entry + 2 > self.vsize:
            return None
        offset = struct.unpack_from("<H", self.buf, self.vtable + entry)[0]
        return self.pos + offset if offset else None

    def scalar(self, index, fmt, default=0):
        at = self.field(index)
        return default if at is None else struct.unpack_from("<" + fmt, self.buf, at)[0]

    def target(self, index):
        """Where the offset in field `index` points, or None."""
        at = self.field(index)
        return None if at is None else at + struct.unpack_from("<I", self.buf, at)[0]

    def table(self, index):
        at = self.target(index)
        return None if at is None else Table(self.buf, at)

    def vector(self, index):
        """(position of the first element, count), or None."""
        at = self.target(index)
        return None if at is None else (at + 4, struct.unpack_from("<I", self.buf, at)[0])


def messages(data):
    """Each message: (framing prefix bytes, metadata, body), then the rest of the stream after them."""
    position = 0
    out = []
    while position + 4 <= len(data):
        (first,) = struct.unpack_from("<I", data, position)
        if first == CONTINUATION:
            (length,) = struct.unpack_from("<i", data, position + 4)
            prefix = 8
        else:
            length = struct.unpack_from("<i", data, position)[0]
            prefix = 4
        if length == 0:
            break
        metadata = data[position + prefix : position + prefix + length]
        message = Table(metadata, struct.unpack_from("<I", metadata, 0)[0])
        body_length = message.scalar(3, "q")
        start = position + prefix + length
        out.append((prefix, metadata, data[start : start + body_length]))
        position = start + body_length
    return out, data[position:]


# -- writing -----------------------------------------------------------------
#
# A node to write: ("table", {id: field}), ("string", text), ("offsets", [node]),
# ("structs", raw bytes, count, alignment), or ("old", position in the original
# block). A field: ("scalar", struct format, value) or ("ref", node). Each
# table is written whole and the objects it refers to after it, so every
# offset points forward, as FlatBuffers requires.


class Writer:
    def __init__(self):
        self.bytes = bytearray(4)  # the root offset
        self.links = []  # (where an offset is stored, ("new" | "old", position))

    def align(self, alignment):
        while len(self.bytes) % alignment:
            self.bytes.append(0)

    def write(self, node):
        kind = node[0]
        if kind == "old":
            return node
        if kind == "string":
            self.align(4)
            start = len(self.bytes)
            encoded = node[1].encode()
            self.bytes += struct.pack("<I", len(encoded)) + encoded + b"\0"
            return ("new", start)
        if kind == "structs":
            _, raw, count, alignment = node
            self.align(4)
            while (len(self.bytes) + 4) % alignment:
                self.bytes.append(0)
            start = len(self.bytes)
            self.bytes += struct.pack("<I", count) + raw
            return ("new", start)
        if kind == "offsets":
            self.align(4)
            start = len(self.bytes)
            self.bytes += struct.pack("<I", len(node[1]))
            slots = []
            for _ in node[1]:
                slots.append(len(self.bytes))
                self.bytes += bytes(4)
            for slot, element in zip(slots, node[1]):
                self.links.append((slot, self.write(element)))
            return ("new", start)
        assert kind == "table", kind
        fields = node[1]
        slots = max(fields) + 1 if fields else 0
        self.align(2)
        vtable = len(self.bytes)
        self.bytes += bytes(4 + 2 * slots)
        self.align(4)
        table = len(self.bytes)
        self.bytes += struct.pack("<i", table - vtable)
        children = []
        for index, field in sorted(fields.items(), key=lambda item: -_size(item[1])):
            self.align(_size(field))
            struct.pack_into("<H", self.bytes, vtable + 4 + 2 * index, len(self.bytes) - table)
            if field[0] == "scalar":
                self.bytes += struct.pack("<" + field[1], field[2])
            else:
                children.append((len(self.bytes), field[1]))
                self.bytes += bytes(4)
        struct.pack_into("<HH", self.bytes, vtable, 4 + 2 * slots, len(self.bytes) - table)
        for slot, child in children:
            self.links.append((slot, self.write(child)))
        return ("new", table)

    def finish(self, root, old):
        """`root` and what it refers to, then `old` moved as one block to an 8-aligned position."""
        self.links.append((0, self.write(root)))
        self.align(8)
        base = len(self.bytes)
        out = bytearray(self.bytes) + old
        for at, (kind, target) in self.links:
            absolute = target if kind == "new" else base + target
            assert absolute > at, "FlatBuffers offsets point forward"
            struct.pack_into("<I", out, at, absolute - at)
        while len(out) % 8:
            out.append(0)
        return bytes(out)


def _size(field):
    return struct.calcsize("<" + field[1]) if field[0] == "scalar" else 4


def _copy(fields, table, index, fmt=None):
    """Field `index` of the original `table` into `fields`: a scalar's value, or a reference into the old block."""
    if fmt:
        at = table.field(index)
        if at is not None:
            fields[index] = ("scalar", fmt, struct.unpack_from("<" + fmt, table.buf, at)[0])
    else:
        target = table.target(index)
        if target is not None:
            fields[index] = ("ref", ("old", target))


def _new_field(name, width):
    """Field `name`: FixedSizeList<float32>[width] (Schema.fbs: FixedSizeList is type 16, FloatingPoint 3)."""
    item = ("table", {0: ("ref", ("string", "item")), 1: ("scalar", "B", 1), 2: ("scalar", "B", 3),
                      3: ("ref", ("table", {0: ("scalar", "h", 1)}))})
    return ("table", {0: ("ref", ("string", name)), 1: ("scalar", "B", 1), 2: ("scalar", "B", 16),
                      3: ("ref", ("table", {0: ("scalar", "i", width)})), 5: ("ref", ("offsets", [item]))})


def _message(message, header, body_length):
    fields = {1: ("scalar", "B", message.scalar(1, "B")), 2: ("ref", header), 3: ("scalar", "q", body_length)}
    _copy(fields, message, 0, "h")
    _copy(fields, message, 4)
    return ("table", fields)


def add_column(data, name, rows_values, width):
    """`data` with a FixedSizeList<float32>[width] column `name` appended; `rows_values(n)`
    returns the next n rows' little-endian float32 bytes. A compressed body gets the
    new buffer uncompressed (length prefix -1), as Message.fbs's BodyCompression allows."""
    parsed, rest = messages(data)
    out = bytearray()
    for prefix, metadata, body in parsed:
        message = Table(metadata, struct.unpack_from("<I", metadata, 0)[0])
        kind = message.scalar(1, "B")
        if kind == SCHEMA:
            metadata = _spliced_schema(metadata, message, name, width)
        elif kind == RECORD_BATCH:
            metadata, body = _spliced_batch(metadata, message, body, rows_values, width)
        if prefix == 8:
            out += struct.pack("<Ii", CONTINUATION, len(metadata))
        else:
            out += struct.pack("<i", len(metadata))
        out += metadata + body
    return bytes(out + rest)


def _spliced_schema(metadata, message, name, width):
    schema = message.table(2)
    fields = {}
    _copy(fields, schema, 0, "h")
    _copy(fields, schema, 2)
    _copy(fields, schema, 3)
    targets = []
    existing = schema.vector(1)
    if existing:
        start, count = existing
        for i in range(count):
            at = start + 4 * i
            targets.append(("old", at + struct.unpack_from("<I", metadata, at)[0]))
    fields[1] = ("ref", ("offsets", targets + [_new_field(name, width)]))
    return Writer().finish(_message(message, ("table", fields), 0), metadata)


def _spliced_batch(metadata, message, body, rows_values, width):
    batch = message.table(2)
    rows = batch.scalar(0, "q")
    compressed = batch.target(3) is not None

    def structs(index):
        vector = batch.vector(index)
        return b"" if not vector else bytes(metadata[vector[0] : vector[0] + 16 * vector[1]])

    nodes = structs(1) + struct.pack("<qqqq", rows, 0, rows * width, 0)
    padded = (len(body) + 7) & ~7
    values = rows_values(rows)
    assert len(values) == rows * width * 4
    if compressed:
        values = struct.pack("<q", -1) + values
    buffers = structs(2) + struct.pack("<qqqqqq", padded, 0, padded, 0, padded, len(values))
    new_body = bytes(body) + bytes(padded - len(body)) + values
    new_body += bytes((-len(new_body)) % 8)
    fields = {0: ("scalar", "q", rows), 1: ("ref", ("structs", nodes, len(nodes) // 16, 8)),
              2: ("ref", ("structs", buffers, len(buffers) // 16, 8))}
    _copy(fields, batch, 3)
    _copy(fields, batch, 4)
    return Writer().finish(_message(message, ("table", fields), len(new_body)), metadata), new_body


def message_kinds(data):
    """Each message of a stream as ("schema",), ("dictionary", id, is_delta) or ("batch", rows)."""
    kinds = []
    for _, metadata, _ in messages(data)[0]:
        message = Table(metadata, struct.unpack_from("<I", metadata, 0)[0])
        kind = message.scalar(1, "B")
        header = message.table(2)
        if kind == SCHEMA:
            kinds.append(("schema",))
        elif kind == DICTIONARY_BATCH:
            kinds.append(("dictionary", header.scalar(0, "q"), bool(header.scalar(2, "B"))))
        elif kind == RECORD_BATCH:
            kinds.append(("batch", header.scalar(0, "q")))
        else:
            kinds.append(("other", kind))
    return kinds


def frame(metadata, body=b""):
    """One message as the stream format frames it (with the continuation marker)."""
    return struct.pack("<Ii", CONTINUATION, len(metadata)) + bytes(metadata) + bytes(body)
