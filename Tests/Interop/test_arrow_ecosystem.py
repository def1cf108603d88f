"""Arrow as the ecosystem writes it: Polars (Utf8View strings, categoricals),
pandas (category columns), DuckDB (ENUMs, ListView and large layouts) and
pyarrow's dictionary deltas, replacements, views and list views, through
onnxpipe and back into the same library. Each stream is checked to really use
the layout under test, so a producer changing its defaults fails here rather
than silently testing something else.

    ONNXPIPE=.build/debug/onnxpipe .venv/bin/python -m unittest -v Tests/Interop/test_arrow_ecosystem.py
"""

import io
import os
import subprocess
import sys
import unittest

import numpy as np
import onnxruntime as ort
import pandas as pd
import polars as pl
import pyarrow as pa
from polars.testing import assert_frame_equal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ipc_splice import message_kinds  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("ONNXPIPE", os.path.join(ROOT, ".build", "debug", "onnxpipe"))
MODELS = os.path.join(ROOT, "Tests", "Fixtures", "models")
RF32 = os.path.join(MODELS, "rf32.onnx")
TEXT = os.path.join(MODELS, "text_clf.onnx")
TOLERANCE = 1e-6
WORDS = ["GET /index.html 200", "ERROR disk full on /dev/sda1", "warn: é unicode", "POST /login 500", "ok", ""]


def features(rows, seed=1):
    return np.random.default_rng(seed).normal(size=(rows, 32)).astype(np.float32)


def reference(model, feeds):
    return ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feeds)


def stream(batches, schema=None, options=None):
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema or batches[0].schema, options=options) as writer:
        for batch in batches:
            writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def matrix(column):
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return array.flatten().to_numpy().reshape(len(array), -1)


class Scoring(unittest.TestCase):
    def score(self, model, data, *args):
        result = subprocess.run([BINARY, "--in", "arrow", model, *args], input=data, capture_output=True,
                                timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertEqual(result.stderr, b"")
        return result.stdout

    def assert_rf32(self, table, X):
        label, probabilities = reference(RF32, {"X": X})
        np.testing.assert_array_equal(table["label"].to_numpy(), label)
        np.testing.assert_allclose(matrix(table["probabilities"]), probabilities, rtol=0, atol=TOLERANCE)

    def assert_text(self, table, lines):
        label, probabilities = reference(TEXT, {"text": np.array(lines, dtype=object).reshape(-1, 1)})
        np.testing.assert_array_equal(table["label"].to_numpy(), label)
        np.testing.assert_allclose(matrix(table["probabilities"]), probabilities, rtol=0, atol=TOLERANCE)


class PolarsTests(Scoring):
    """Polars' own write_ipc_stream and read_ipc_stream, with its defaults."""

    def frame(self, X):
        rows = len(X)
        return pl.DataFrame({
            **{f"x{i}": X[:, i] for i in range(32)},
            "customer_id": [f"customer-{j:06d}-with-a-long-id" for j in range(rows)],
            "segment": pl.Series([["retail", "wholesale", "online"][j % 3] for j in range(rows)], dtype=pl.Categorical),
            "note": [None if j % 7 == 0 else f"n{j}" for j in range(rows)],
        })

    def test_default_stream_with_utf8view_and_categorical_comes_back_equal(self):
        X = features(300)
        df = self.frame(X)
        buffer = io.BytesIO()
        df.write_ipc_stream(buffer)
        data = buffer.getvalue()
        schema = pa.ipc.open_stream(data).schema
        self.assertEqual(schema.field("customer_id").type, pa.string_view())
        self.assertEqual(schema.field("segment").type.value_type, pa.string_view())
        self.assertIn(("dictionary", 0, False), message_kinds(data))
        out = self.score(RF32, data, "--keep")
        back = pl.read_ipc_stream(io.BytesIO(out))
        self.assertEqual(back.columns, df.columns + ["label", "probabilities"])
        assert_frame_equal(back.select(df.columns), df)
        self.assert_rf32(pa.ipc.open_stream(out).read_all(), X)

    def test_utf8view_and_categorical_feed_a_string_input(self):
        lines = WORDS * 40
        for dtype in (pl.String, pl.Categorical):
            with self.subTest(dtype=str(dtype)):
                df = pl.DataFrame({"id": range(len(lines)), "text": pl.Series(lines, dtype=dtype)})
                buffer = io.BytesIO()
                df.write_ipc_stream(buffer)
                out = self.score(TEXT, buffer.getvalue(), "--keep")
                self.assert_text(pa.ipc.open_stream(out).read_all(), lines)
                assert_frame_equal(pl.read_ipc_stream(io.BytesIO(out)).select(df.columns), df)


class PandasTests(Scoring):
    """pandas DataFrames with category columns, to Arrow and back with pyarrow."""

    def frame(self, X):
        rows = len(X)
        return pd.DataFrame({
            **{f"x{i}": X[:, i] for i in range(32)},
            "city": pd.Categorical([["Oslo", "Lima", None, "Pune"][j % 4] for j in range(rows)]),
            "size": pd.Categorical([["S", "M", "L"][j % 3] for j in range(rows)], categories=["S", "M", "L"],
                                   ordered=True),
            "code": pd.Categorical([[3, 1, 2][j % 3] for j in range(rows)]),
            "name": [f"name {j}" for j in range(rows)],
        })

    def test_category_columns_come_back_as_the_same_categories(self):
        X = features(250, seed=4)
        df = self.frame(X)
        table = pa.Table.from_pandas(df, preserve_index=False)
        self.assertTrue(pa.types.is_dictionary(table.schema.field("city").type))
        self.assertTrue(table.schema.field("size").type.ordered)
        out = self.score(RF32, stream(table.to_batches(max_chunksize=100)), "--keep")
        scored = pa.ipc.open_stream(out).read_all()
        back = scored.to_pandas()
        pd.testing.assert_frame_equal(back[df.columns], df)
        self.assert_rf32(scored, X)

    def test_category_feeds_a_string_input(self):
        lines = WORDS * 30
        df = pd.DataFrame({"text": pd.Categorical(lines), "n": range(len(lines))})
        table = pa.Table.from_pandas(df, preserve_index=False)
        out = self.score(TEXT, stream(table.to_batches(max_chunksize=50)), "--keep")
        scored = pa.ipc.open_stream(out).read_all()
        self.assert_text(scored, lines)
        pd.testing.assert_frame_equal(scored.to_pandas()[df.columns], df)


class DuckDBTests(Scoring):
    """DuckDB's Arrow export: ENUMs are dictionaries; lists as ListView or LargeList on request."""

    def reader(self, settings, query, source):
        import duckdb

        con = duckdb.connect()
        con.sql("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
        for setting in settings:
            con.sql(setting)
        con.register("source", source)
        reader = con.sql(query).to_arrow_reader(100)
        return stream(list(reader), schema=reader.schema)

    def test_enum_and_list_layouts(self):
        X = features(260, seed=5)
        source = pa.table({"X": pa.array(list(X), pa.list_(pa.float32())),
                           "m": pa.array([["sad", "ok", "happy"][j % 3] for j in range(260)])})
        query = "SELECT X, m::mood AS m, 'row ' || m AS label_text FROM source"
        for settings, kind in (
            (["SET arrow_output_version='1.5'", "SET arrow_output_list_view=true"], pa.types.is_list_view),
            (["SET arrow_large_buffer_size=true"], pa.types.is_large_list),
        ):
            with self.subTest(settings=settings):
                data = self.reader(settings, query, source)
                schema = pa.ipc.open_stream(data).schema
                self.assertTrue(kind(schema.field("X").type), schema.field("X").type)
                self.assertTrue(pa.types.is_dictionary(schema.field("m").type))
                out = pa.ipc.open_stream(self.score(RF32, data, "--keep")).read_all()
                original = pa.ipc.open_stream(data).read_all()
                for name in original.column_names:
                    self.assertTrue(out[name].equals(original[name]), name)
                self.assert_rf32(out, X)

    def test_enum_feeds_a_string_input(self):
        source = pa.table({"t": pa.array([["sad", "ok", "happy"][j % 3] for j in range(120)])})
        data = self.reader([], "SELECT t::mood AS text FROM source", source)
        self.assertTrue(pa.types.is_dictionary(pa.ipc.open_stream(data).schema.field("text").type))
        out = pa.ipc.open_stream(self.score(TEXT, data)).read_all()
        self.assert_text(out, [["sad", "ok", "happy"][j % 3] for j in range(120)])


class PyarrowLayoutTests(Scoring):
    """Layouts pyarrow writes on request: dictionary deltas and replacements, views, list views."""

    def test_dictionary_deltas_and_replacements(self):
        schema = pa.schema([("text", pa.dictionary(pa.int16(), pa.string())), ("n", pa.int64())])

        def batch(values, dictionary, n):
            indices = pa.array([dictionary.index(v) for v in values], pa.int16())
            return pa.record_batch([pa.DictionaryArray.from_arrays(indices, pa.array(dictionary)),
                                    pa.array(range(n, n + len(values)), pa.int64())], schema=schema)

        first = ["ok", "warn: é unicode"]
        grown = first + ["ERROR disk full on /dev/sda1"]
        other = ["POST /login 500", "GET /index.html 200"]
        batches = [batch(["ok", "warn: é unicode", "ok"], first, 0),
                   batch(["ERROR disk full on /dev/sda1", "ok"], grown, 3),
                   batch(["GET /index.html 200", "POST /login 500"], other, 5)]
        data = stream(batches, schema, options=pa.ipc.IpcWriteOptions(emit_dictionary_deltas=True))
        kinds = message_kinds(data)
        self.assertEqual(kinds, [("schema",), ("dictionary", 0, False), ("batch", 3), ("dictionary", 0, True),
                                 ("batch", 2), ("dictionary", 0, False), ("batch", 2)])
        out = self.score(TEXT, data, "--keep")
        self.assertEqual(message_kinds(out), kinds)
        written = list(pa.ipc.open_stream(out))
        for before, after in zip(batches, written):
            self.assertTrue(after.column(0).equals(before.column(0)))
            self.assertTrue(after.column(1).equals(before.column(1)))
        lines = [value for b in batches for value in b.column(0).to_pylist()]
        self.assert_text(pa.Table.from_batches(written), lines)

    def test_string_and_binary_views_with_several_data_buffers(self):
        lines = [f"{WORDS[j % len(WORDS)]} and some more words, row {j}" if j % 3 else WORDS[j % 3]
                 for j in range(400)]
        views = pa.concat_arrays([pa.array(lines[:200], pa.string_view()), pa.array(lines[200:], pa.string_view())])
        self.assertGreaterEqual(len(views.buffers()), 4, "validity, views and at least two data buffers")
        blobs = pa.array([bytes([j % 256]) * (j % 40) for j in range(400)], pa.binary_view())
        table = pa.table({"id": pa.array(range(400)), "text": views, "blob": blobs, "after": pa.array(range(400))})
        data = stream(table.to_batches())
        out = pa.ipc.open_stream(self.score(TEXT, data, "--keep")).read_all()
        for name in table.column_names:
            self.assertTrue(out[name].equals(table[name]), name)
        self.assert_text(out, lines)

    def test_list_views_feed_numeric_rows(self):
        X = features(90, seed=9)
        # Rows stored back to front, so the offsets run downwards.
        offsets = np.arange(89, -1, -1, dtype=np.int32) * 32
        values = pa.array(X[::-1].ravel())
        sizes = np.full(90, 32, dtype=np.int32)
        for array in (pa.ListViewArray.from_arrays(offsets, sizes, values),
                      pa.LargeListViewArray.from_arrays(offsets.astype(np.int64), sizes.astype(np.int64), values)):
            with self.subTest(type=str(array.type)):
                table = pa.table({"X": array, "tag": pa.array(["t"] * 90, pa.string_view())})
                out = pa.ipc.open_stream(self.score(RF32, stream(table.to_batches(max_chunksize=40)), "--keep"))
                out = out.read_all()
                self.assertTrue(out["X"].equals(table["X"]))
                self.assertTrue(out["tag"].equals(table["tag"]))
                self.assert_rf32(out, X)


if __name__ == "__main__":
    unittest.main()
