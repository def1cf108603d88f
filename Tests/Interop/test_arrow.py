"""Arrow IPC interop: pyarrow (and DuckDB) write streams, onnxpipe scores them,
pyarrow reads the result back; outputs are compared with onnxruntime's own.

Run by `make test` (target `interop`) with the project's virtual environment:
    ONNXPIPE=.build/debug/onnxpipe .venv/bin/python -m unittest -v Tests/Interop/test_arrow.py
"""

import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import onnxruntime as ort
import pyarrow as pa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ipc_splice  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("ONNXPIPE", os.path.join(ROOT, ".build", "debug", "onnxpipe"))
MODELS = os.path.join(ROOT, "Tests", "Fixtures", "models")
RF32 = os.path.join(MODELS, "rf32.onnx")
ZIPMAP = os.path.join(MODELS, "logreg_zipmap.onnx")
TEXT = os.path.join(MODELS, "text_clf.onnx")
MIXED = os.path.join(MODELS, "mixed.onnx")
TOLERANCE = 1e-6


def stream(table_or_batches, schema=None, metadata=None, options=None):
    """IPC stream bytes of record batches (a table is split as it is chunked)."""
    batches = table_or_batches.to_batches() if isinstance(table_or_batches, pa.Table) else table_or_batches
    schema = schema or batches[0].schema
    if metadata:
        schema = schema.with_metadata(metadata)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema, options=options) as writer:
        for batch in batches:
            writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def run(model, data, *args):
    return subprocess.run([BINARY, "--in", "arrow", model, *args], input=data, capture_output=True, timeout=120)


def features(rows, seed=1, width=32):
    return np.random.default_rng(seed).normal(size=(rows, width)).astype(np.float32)


def fixed_list(matrix):
    return pa.FixedSizeListArray.from_arrays(pa.array(matrix.ravel()), matrix.shape[1])


def reference(model, feeds):
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def column_matrix(column):
    """A FixedSizeList column as a 2-D array."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return array.flatten().to_numpy().reshape(len(array), -1)


class ArrowInteropTests(unittest.TestCase):
    def score(self, model, data, *args, status=0):
        result = run(model, data, *args)
        self.assertEqual(result.returncode, status, result.stderr.decode())
        if status == 0:
            self.assertEqual(result.stderr, b"")
        return result

    def assert_rf32(self, table, X):
        label, probabilities = reference(RF32, {"X": X})
        self.assertEqual(table.num_rows, len(X))
        np.testing.assert_array_equal(table["label"].to_numpy(), label)
        np.testing.assert_allclose(column_matrix(table["probabilities"]), probabilities, rtol=0, atol=TOLERANCE)

    def test_fixed_size_list_column_at_several_batch_sizes(self):
        X = features(2000)
        for chunk in (1, 7, 256, 2000):
            with self.subTest(chunk=chunk):
                table = pa.table({"X": fixed_list(X)})
                data = stream(table.to_batches(max_chunksize=chunk))
                out = pa.ipc.open_stream(self.score(RF32, data).stdout).read_all()
                self.assert_rf32(out, X)
                self.assertEqual(len(out.to_batches()), -(-2000 // chunk), "one output batch per input batch")

    def test_input_tensor_is_not_copied(self):
        X = features(512)
        data = stream(pa.table({"X": fixed_list(X)}).to_batches(max_chunksize=128))
        result = run(RF32, data, "--stats")
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertIn("tensors_borrowed=4 tensors_copied=0", result.stderr.decode())

    def test_scalar_columns_are_gathered_like_csv(self):
        X = features(300)
        columns = {f"x{i}": pa.array(X[:, i]) for i in range(32)}
        out = pa.ipc.open_stream(self.score(RF32, stream(pa.table(columns))).stdout).read_all()
        self.assert_rf32(out, X)
        # float64 columns are converted to the model's float32.
        doubles = {f"x{i}": pa.array(X[:, i].astype(np.float64)) for i in range(32)}
        result = run(RF32, stream(pa.table(doubles)), "--stats")
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assert_rf32(pa.ipc.open_stream(result.stdout).read_all(), X)
        self.assertIn("tensors_borrowed=0 tensors_copied=1", result.stderr.decode())

    def test_columns_option_chooses_and_orders(self):
        X = features(50)
        columns = {f"c{31 - i}": pa.array(X[:, i]) for i in range(32)}
        columns["extra"] = pa.array(np.ones(50))
        order = ",".join(f"c{31 - i}" for i in range(32))
        out = pa.ipc.open_stream(self.score(RF32, stream(pa.table(columns)), "--columns", order).stdout).read_all()
        self.assert_rf32(out, X)

    def test_list_column_with_equal_lengths_and_input_mapping(self):
        X = features(100)
        values = pa.ListArray.from_arrays(pa.array(np.arange(0, 3201, 32, dtype=np.int32)), pa.array(X.ravel()))
        large = pa.LargeListArray.from_arrays(pa.array(np.arange(0, 3201, 32, dtype=np.int64)), pa.array(X.ravel()))
        for name, array in (("list", values), ("large_list", large)):
            with self.subTest(type=name):
                data = stream(pa.table({"features": array}))
                out = pa.ipc.open_stream(self.score(RF32, data, "--input", "X=features").stdout).read_all()
                self.assert_rf32(out, X)

    def test_keep_copies_every_input_column_unchanged(self):
        X = features(700)
        table = pa.table(
            {
                "id": pa.array(np.arange(700, dtype=np.int64)),
                "name": pa.array([f"row {i} é" if i % 5 else None for i in range(700)]),
                "X": fixed_list(X),
                "tags": pa.array([[i, i + 1] if i % 3 else [] for i in range(700)]),
                "point": pa.array([{"a": i, "b": float(i) / 2} for i in range(700)]),
                "flag": pa.array([i % 2 == 0 for i in range(700)]),
            }
        )
        metadata = {"source": "interop", "owner": "tests"}
        data = stream(table.to_batches(max_chunksize=250), metadata=metadata)
        out = pa.ipc.open_stream(self.score(RF32, data, "--keep").stdout).read_all()
        self.assertEqual(out.column_names, ["id", "name", "X", "tags", "point", "flag", "label", "probabilities"])
        for name in table.column_names:
            self.assertTrue(out[name].equals(table[name]), name)
            self.assertEqual(out.schema.field(name), table.schema.field(name))
        self.assert_rf32(out, X)
        meta = out.schema.metadata
        self.assertEqual(meta[b"source"], b"interop")
        self.assertEqual(meta[b"onnxpipe.model"], b"rf32.onnx")
        self.assertTrue(meta[b"onnxpipe.producer"].startswith(b"skl2onnx"))

    def test_empty_batch_and_empty_stream(self):
        X = features(10)
        table = pa.table({"X": fixed_list(X)})
        empty = pa.record_batch([fixed_list(X[:0])], names=["X"])
        data = stream([table.slice(0, 4).to_batches()[0], empty, table.slice(4).to_batches()[0]])
        out = pa.ipc.open_stream(self.score(RF32, data).stdout)
        sizes = [batch.num_rows for batch in out]
        self.assertEqual(sizes, [4, 0, 6])
        # A stream with a schema and no batches gives a schema and no batches.
        out = pa.ipc.open_stream(self.score(RF32, stream([], schema=table.schema)).stdout).read_all()
        self.assertEqual(out.num_rows, 0)
        self.assertEqual(out.column_names, ["label", "probabilities"])

    def test_string_column_feeds_text_classifier(self):
        lines = ["GET /index.html 200", "ERROR disk full on /dev/sda1", "", "warn: é unicode", "POST /login 500"] * 40
        expected = reference(TEXT, {"text": np.array(lines, dtype=object).reshape(-1, 1)})
        for array in (pa.array(lines, pa.string()), pa.array(lines, pa.large_string())):
            with self.subTest(type=str(array.type)):
                data = stream(pa.table({"text": array}).to_batches(max_chunksize=64))
                out = pa.ipc.open_stream(self.score(TEXT, data).stdout).read_all()
                np.testing.assert_array_equal(out["label"].to_numpy(), expected[0])
                np.testing.assert_allclose(column_matrix(out["probabilities"]), expected[1], atol=TOLERANCE)

    def test_zipmap_output_is_a_map_column(self):
        X = features(64, width=4)
        label, maps = reference(ZIPMAP, {"X": X})
        out = pa.ipc.open_stream(self.score(ZIPMAP, stream(pa.table({"X": fixed_list(X)}))).stdout).read_all()
        self.assertEqual(out.schema.field("output_probability").type, pa.map_(pa.int64(), pa.float32()))
        np.testing.assert_array_equal(out["output_label"].to_numpy(), label)
        for row, expected in zip(out["output_probability"].to_pylist(), maps):
            self.assertEqual([key for key, _ in row], list(expected.keys()))
            np.testing.assert_allclose([value for _, value in row], list(expected.values()), atol=TOLERANCE)

    def test_several_inputs_and_integer_column(self):
        x = np.random.default_rng(3).normal(size=(40, 3)).astype(np.float32)
        k = np.arange(40, dtype=np.int64).reshape(40, 1)
        expected = reference(MIXED, {"x": x, "k": k})
        table = pa.table({"k": fixed_list(k), "x": fixed_list(x)})
        out = pa.ipc.open_stream(self.score(MIXED, stream(table)).stdout).read_all()
        np.testing.assert_allclose(column_matrix(out["y"]), expected[0], atol=TOLERANCE)
        np.testing.assert_array_equal(column_matrix(out["k1"]), expected[1])

    def test_arrow_to_ndjson_and_ndjson_to_arrow(self):
        X = features(200)
        label, probabilities = reference(RF32, {"X": X})
        out = self.score(RF32, stream(pa.table({"X": fixed_list(X)})), "--out", "ndjson").stdout.decode()
        records = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([r["label"] for r in records], label.tolist())
        np.testing.assert_allclose([r["probabilities"] for r in records], probabilities, atol=TOLERANCE)
        csv = self.score(RF32, stream(pa.table({"X": fixed_list(X)})), "--out", "csv").stdout.decode().splitlines()
        self.assertEqual(csv[0], "label,probabilities_0,probabilities_1")
        self.assertEqual(len(csv), 201)
        ndjson = "".join(json.dumps({"X": row.tolist()}) + "\n" for row in X).encode()
        result = subprocess.run(
            [BINARY, "--in", "ndjson", "--out", "arrow", "--batch-size", "64", RF32],
            input=ndjson, capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        table = pa.ipc.open_stream(result.stdout).read_all()
        self.assert_rf32(table, X)
        self.assertEqual([b.num_rows for b in pa.ipc.open_stream(result.stdout)], [64, 64, 64, 8])

    def test_legacy_framing_without_continuation_marker(self):
        X = features(100)
        options = pa.ipc.IpcWriteOptions(use_legacy_format=True)
        data = stream(pa.table({"X": fixed_list(X)}).to_batches(max_chunksize=30), options=options)
        self.assertNotEqual(data[:4], b"\xff\xff\xff\xff")
        out = pa.ipc.open_stream(self.score(RF32, data).stdout).read_all()
        self.assert_rf32(out, X)

    def test_duckdb_producer(self):
        try:
            import duckdb
        except ImportError:
            self.fail("duckdb is part of Tests/Interop/requirements.txt; run make deps")
        X = features(1000)
        con = duckdb.connect()
        con.register("source", pa.table({f"x{i}": pa.array(X[:, i]) for i in range(32)}))
        query = "SELECT " + ", ".join(f"x{i}" for i in range(32)) + " FROM source"
        reader = con.sql(query).to_arrow_reader(300)
        data = stream(list(reader), schema=reader.schema)
        out = pa.ipc.open_stream(self.score(RF32, data).stdout).read_all()
        self.assert_rf32(out, X)


class ArrowNullTests(unittest.TestCase):
    def null_stream(self):
        X = features(20)
        mask = np.zeros(20, dtype=bool)
        mask[[3, 11]] = True
        column = pa.FixedSizeListArray.from_arrays(pa.array(X.ravel()), 32, mask=pa.array(mask))
        batches = pa.table({"id": pa.array(range(20)), "X": column}).to_batches(max_chunksize=10)
        return X, stream(batches)

    def test_fail_names_batch_row_and_column(self):
        _, data = self.null_stream()
        result = run(RF32, data)
        self.assertEqual(result.returncode, 65)
        self.assertRegex(result.stderr.decode(), r"^onnxpipe: batch 1 \(byte \d+\): row 4: column 'X' is null\n$")
        out = pa.ipc.open_stream(result.stdout)
        self.assertEqual(out.schema.names, ["label", "probabilities"])
        self.assertEqual(list(out), [], "a batch with a bad row is not written, nor anything after it")

    def test_null_writes_null_outputs_and_dead_letters(self):
        X, data = self.null_stream()
        with tempfile.TemporaryDirectory() as directory:
            errors = os.path.join(directory, "errors.ndjson")
            result = run(RF32, data, "--on-error", "null", "--errors", errors, "--keep", "--stats")
            self.assertEqual(result.returncode, 0, result.stderr.decode())
            out = pa.ipc.open_stream(result.stdout).read_all()
            self.assertEqual(out.num_rows, 20)
            self.assertEqual([i for i, v in enumerate(out["label"].to_pylist()) if v is None], [3, 11])
            good = [i for i in range(20) if i not in (3, 11)]
            label, probabilities = reference(RF32, {"X": X[good]})
            np.testing.assert_array_equal(np.array(out["label"].to_pylist(), dtype=object)[good].astype(np.int64), label)
            with open(errors) as handle:
                letters = [json.loads(line) for line in handle]
            self.assertEqual(
                letters,
                [
                    {"batch": 1, "row": 4, "reason": "column 'X' is null"},
                    {"batch": 2, "row": 2, "reason": "column 'X' is null"},
                ],
            )
            self.assertIn("rejected=2", result.stderr.decode())

    def test_skip_leaves_rows_out(self):
        X, data = self.null_stream()
        result = run(RF32, data, "--on-error", "skip")
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        out = pa.ipc.open_stream(result.stdout).read_all()
        good = [i for i in range(20) if i not in (3, 11)]
        label, _ = reference(RF32, {"X": X[good]})
        np.testing.assert_array_equal(out["label"].to_numpy(), label)
        refused = run(RF32, data, "--on-error", "skip", "--keep")
        self.assertEqual(refused.returncode, 64)


def first_field_type_position(metadata):
    """Where the first field's `type_type` byte is in a schema message's metadata (a FlatBuffers walk)."""

    def table(position):
        vtable = position - struct.unpack_from("<i", metadata, position)[0]
        return position, vtable

    def field(position, vtable, index):
        size = struct.unpack_from("<H", metadata, vtable)[0]
        entry = 4 + 2 * index
        offset = struct.unpack_from("<H", metadata, vtable + entry)[0] if entry < size else 0
        return position + offset if offset else None

    def follow(position):
        return position + struct.unpack_from("<I", metadata, position)[0]

    message = table(follow(0))
    schema = table(follow(field(*message, 2)))
    fields = follow(field(*schema, 1))
    first = table(follow(fields + 4))
    return field(*first, 2)


def corrupt_streams():
    """(name, bytes, expected status, expected message part, complete batches before the fault)."""
    X = features(30)
    batches = pa.table({"X": fixed_list(X)}).to_batches(max_chunksize=10)
    good = stream(batches)
    schema_end = 8 + struct.unpack_from("<i", good, 4)[0]
    first_end = schema_end
    length = struct.unpack_from("<i", good, first_end + 4)[0]
    message = pa.ipc.read_message(pa.BufferReader(good[first_end:]))
    first_end += 8 + length + message.body.size
    second_length = struct.unpack_from("<i", good, first_end + 4)[0]
    second_metadata = first_end + 8
    cases = [
        ("cut mid-message", good[: first_end + 8 + second_length + 100], 65, "truncated", 1),
        ("metadata length past EOF", good[:first_end] + struct.pack("<Ii", 0xFFFFFFFF, 1 << 20) + b"\0" * 64, 65,
         "truncated", 1),
        ("negative metadata length", good[:first_end] + struct.pack("<Ii", 0xFFFFFFFF, -8), 65, "negative", 1),
    ]
    # A buffer offset outside the body: rewrite the second batch's last Buffer.offset.
    metadata = bytearray(good[second_metadata : second_metadata + second_length])
    body_size = pa.ipc.read_message(pa.BufferReader(good[first_end:])).body.size
    spans = []
    for position in range(0, len(metadata) - 16, 8):
        offset, size = struct.unpack_from("<qq", metadata, position)
        if size == 10 * 32 * 4 and 0 <= offset < body_size:
            spans.append(position)
    corrupted = bytearray(good)
    struct.pack_into("<q", corrupted, second_metadata + spans[0], body_size * 4)
    cases.append(("buffer offset outside the body", bytes(corrupted), 65, "outside the", 1))
    # An unknown type id in the schema: the first Field's type_type byte.
    unknown = bytearray(good)
    unknown[8 + first_field_type_position(good[8:schema_end])] = 99
    cases.append(("unknown type id", bytes(unknown), 65, "unknown type id 99", 0))
    wrong = stream(pa.table({"Y": fixed_list(X)}).to_batches(max_chunksize=10))
    cases.append(("schema without the model's column", wrong, 78, "no column 'X'", 0))
    narrow = stream(pa.table({"X": fixed_list(X[:, :8])}).to_batches())
    cases.append(("column of the wrong width", narrow, 78, "holds 8 values a row", 0))
    compressed = stream(batches, options=pa.ipc.IpcWriteOptions(compression="zstd"))
    cases.append(("compressed body", compressed, 65, "compressed (ZSTD)", 0))
    # Dictionary-encoded columns are read now (test_arrow_ecosystem.py); a dictionary batch for an id
    # no field of the schema uses is still a broken stream, found after the batch before it.
    dictionary = stream(pa.table({"X": fixed_list(X), "d": pa.array(["a", "b", "c"] * 10).dictionary_encode()}).to_batches())
    plain, _ = ipc_splice.messages(good)
    stray = ipc_splice.messages(dictionary)[0][1]
    strayed = b"".join(ipc_splice.frame(m, b) for _, m, b in plain[:2]) + ipc_splice.frame(*stray[1:])
    strayed += b"".join(ipc_splice.frame(m, b) for _, m, b in plain[2:])
    cases.append(("dictionary batch no field uses", strayed, 65, "which no field of the schema uses", 1))
    return cases


class MalformedStreamTests(unittest.TestCase):
    def test_each_fault_ends_with_a_clear_message_after_the_batches_before_it(self):
        for name, data, status, message, complete in corrupt_streams():
            with self.subTest(name):
                result = run(RF32, data)
                self.assertEqual(result.returncode, status, result.stderr.decode())
                lines = result.stderr.decode().strip().splitlines()
                self.assertEqual(len(lines), 1, lines)
                self.assertTrue(lines[0].startswith("onnxpipe: "), lines[0])
                self.assertIn(message, lines[0])
                written = 0
                if result.stdout:
                    reader = pa.ipc.open_stream(result.stdout)
                    try:
                        for batch in reader:
                            written += batch.num_rows
                    except pa.ArrowInvalid:
                        self.fail("the output stream is cut inside a message")
                self.assertEqual(written, complete * 10)


if __name__ == "__main__":
    unittest.main()
