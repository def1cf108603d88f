"""Every input format x every output format: the same rows, written as raw
frames, NDJSON, CSV, an Arrow stream (pyarrow) or text lines, scored into raw
frames, NDJSON, CSV or Arrow, give the same predictions, bit for bit; and
`--keep` works where both formats have a place for the input and is refused,
with the reason and exit status 64, where they do not.

Run by `make test` (target `interop`):
    ONNXPIPE=.build/debug/onnxpipe .venv/bin/python -m unittest -v Tests/Interop/test_format_matrix.py
"""

import csv
import io
import json
import os
import struct
import subprocess
import unittest

import numpy as np
import onnxruntime as ort
import pyarrow as pa

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("ONNXPIPE", os.path.join(ROOT, ".build", "debug", "onnxpipe"))
MODELS = os.path.join(ROOT, "Tests", "Fixtures", "models")
STREAMS = os.path.join(ROOT, "Tests", "Fixtures", "streams")
INPUTS = ["raw", "ndjson", "csv", "arrow"]
OUTPUTS = ["raw", "ndjson", "csv", "arrow"]
NUMPY = {"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(double)": np.float64}


def run(model, args, data, expect=0):
    result = subprocess.run([BINARY, *args, os.path.join(MODELS, model)], input=data, capture_output=True)
    if result.returncode != expect:
        raise AssertionError(f"{args} exited {result.returncode}: {result.stderr.decode()}")
    return result


def raw_frames(data):
    """The payloads of a stream of u32-length-prefixed frames."""
    frames, offset = [], 0
    while offset < len(data):
        (length,) = struct.unpack_from("<I", data, offset)
        frames.append(data[offset + 4 : offset + 4 + length])
        offset += 4 + length
    assert offset == len(data), "trailing bytes after the last frame"
    return frames


class Model:
    """A fixture model, its rows in every input format, and its outputs in canonical form:
    one tuple per row of each output's values (floats as float32, strings as str)."""

    def __init__(self, name, outputs=None):
        self.name = name
        self.file = name + ".onnx"
        session = ort.InferenceSession(os.path.join(MODELS, self.file))
        self.inputs = session.get_inputs()
        declared = {o.name: o for o in session.get_outputs()}
        self.outputs = outputs or list(declared)
        self.args = ["--outputs", ",".join(outputs)] if outputs else []
        self.declared = declared

    # -- outputs, read back --
    def rows_from_ndjson(self, data):
        return [self.flat_json(json.loads(line)) for line in data.decode().splitlines()]

    def flat_json(self, record):
        row = []
        for name in self.outputs:
            value = record[name]
            if isinstance(value, dict):
                value = [value[k] for k in sorted(value, key=lambda k: int(k))]
            row.extend(value if isinstance(value, list) else [value])
        return tuple(self.canonical(v) for v in row)

    def rows_from_csv(self, data):
        reader = csv.reader(io.StringIO(data.decode()))
        next(reader)  # the header
        return [tuple(self.canonical(self.number(v)) for v in row) for row in reader]

    def rows_from_arrow(self, data):
        table = pa.ipc.open_stream(data).read_all()
        rows = []
        for record in table.to_pylist():
            row = []
            for name in self.outputs:
                value = record[name]
                if isinstance(value, list) and value and isinstance(value[0], tuple):  # a map
                    value = [v for _, v in sorted(value)]
                row.extend(value if isinstance(value, list) else [value])
            rows.append(tuple(self.canonical(v) for v in row))
        return rows

    def rows_from_raw(self, data):
        rows = []
        strings = any(self.declared[name].type == "tensor(string)" for name in self.outputs)
        for payload in raw_frames(data):
            offset = 0
            blocks = []
            count = None
            if strings:
                (count,) = struct.unpack_from("<I", payload, 0)
                offset = 4
            for name in self.outputs:
                kind, width = self.raw_layout(name)
                if kind == "string":
                    values = []
                    for _ in range(count * width):
                        (length,) = struct.unpack_from("<I", payload, offset)
                        values.append(payload[offset + 4 : offset + 4 + length].decode())
                        offset += 4 + length
                    blocks.append([values[i * width : (i + 1) * width] for i in range(count)])
                    continue
                dtype = np.dtype(kind)
                if count is None:
                    per_row = sum(np.dtype(self.raw_layout(n)[0]).itemsize * self.raw_layout(n)[1] for n in self.outputs)
                    count = len(payload) // per_row
                size = count * width * dtype.itemsize
                values = np.frombuffer(payload[offset : offset + size], dtype=dtype).reshape(count, width)
                blocks.append([list(v) for v in values])
                offset += size
            assert offset == len(payload), "bytes left over in an output frame"
            for index in range(count or 0):
                rows.append(tuple(self.canonical(v) for block in blocks for v in block[index]))
        return rows

    def raw_layout(self, name):
        """(numpy dtype or 'string', values per row) of an output in raw frames."""
        output = self.declared[name]
        if output.type.startswith("seq(map"):
            return "float32", 3  # the map's values, densified in key order
        if output.type == "tensor(string)":
            return "string", int(np.prod(output.shape[1:])) if len(output.shape) > 1 else 1
        width = int(np.prod(output.shape[1:])) if len(output.shape) > 1 else 1
        return NUMPY[output.type], width

    @staticmethod
    def number(text):
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text

    @staticmethod
    def canonical(value):
        if isinstance(value, str):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return int(value)
        return float(np.float32(value))

    def read(self, output, data):
        return getattr(self, "rows_from_" + output)(data)


class FormatMatrixTests(unittest.TestCase):
    def check_matrix(self, model, inputs, expected_rows, deterministic=True):
        """Each pair under --deterministic unless the model's rows never depend on the rows run
        beside them: a GEMM's may, and each format batches differently."""
        reference = None
        for input_format, data in inputs.items():
            for output_format in OUTPUTS:
                with self.subTest(model=model.name, pair=f"{input_format}>{output_format}"):
                    result = run(
                        model.file, ["--in", input_format, "--out", output_format, "--force", *model.args]
                        + (["--deterministic"] if deterministic else []),
                        data)
                    rows = model.read(output_format, result.stdout)
                    self.assertEqual(len(rows), expected_rows)
                    if reference is None:
                        reference = rows
                    self.assertEqual(rows, reference, "the predictions differ from the first pair's")
        return reference

    def numeric_inputs(self, name="logreg", features=4):
        """A model's own fixture frames (X float32[N,features]) in every input format."""
        raw = open(os.path.join(STREAMS, name + ".in"), "rb").read()
        X = np.concatenate([np.frombuffer(p, dtype=np.float32).reshape(-1, features) for p in raw_frames(raw)])
        ndjson = "".join(json.dumps({"X": [float(v) for v in row]}) + "\n" for row in X).encode()
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["a", "b", "c", "d"] if features == 4 else [f"f{i}" for i in range(features)])
        writer.writerows([[repr(float(v)) for v in row] for row in X])
        column = pa.FixedSizeListArray.from_arrays(pa.array(X.reshape(-1)), features)
        table = pa.table({"X": column})
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as stream:
            for batch in table.to_batches(max_chunksize=100):
                stream.write_batch(batch)
        return X, {"raw": raw, "ndjson": ndjson, "csv": text.getvalue().encode(), "arrow": sink.getvalue().to_pybytes()}

    def test_every_pair_gives_the_same_predictions_as_onnxruntime(self):
        X, inputs = self.numeric_inputs()
        model = Model("logreg")
        rows = self.check_matrix(model, inputs, len(X))
        session = ort.InferenceSession(os.path.join(MODELS, "logreg.onnx"))
        expected = []
        for row in X:  # one row a run, as --deterministic runs a batch-dependent model
            label, probabilities = session.run(None, {"X": row.reshape(1, 4)})
            expected.append((int(label[0]), *(float(np.float32(p)) for p in probabilities[0])))
        self.assertEqual(rows, expected)

    def test_a_forest_merged_and_cut_as_each_format_batches_gives_the_same_rows(self):
        # Trees sum the same way whatever the run's size: no --deterministic, so raw frames are
        # merged and cut (--batch-rows auto), text comes 1024 records a run, Arrow 100 rows a batch.
        X, inputs = self.numeric_inputs("rf32", 32)
        self.check_matrix(Model("rf32"), inputs, len(X), deterministic=False)

    def test_map_outputs_are_written_alike_by_every_pair(self):
        X, inputs = self.numeric_inputs()
        model = Model("logreg_zipmap", outputs=["output_label", "output_probability"])
        self.check_matrix(model, inputs, len(X))

    def test_text_lines_and_string_inputs_in_every_format(self):
        lines = open(os.path.join(STREAMS, "text.lines"), "rb").read()
        texts = lines.decode().splitlines()
        ndjson = "".join(json.dumps({"text": t}) + "\n" for t in texts).encode()
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows([["text"]] + [[t] for t in texts])
        csv_text = text.getvalue()
        raw = b""
        for start in range(0, len(texts), 7):
            chunk = texts[start : start + 7]
            payload = struct.pack("<I", len(chunk)) + b"".join(
                struct.pack("<I", len(t.encode())) + t.encode() for t in chunk)
            raw += struct.pack("<I", len(payload)) + payload
        table = pa.table({"text": pa.array(texts)})
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as stream:
            stream.write_table(table, max_chunksize=5)
        inputs = {"lines": lines, "raw": raw, "ndjson": ndjson, "csv": csv_text.encode(), "arrow": sink.getvalue().to_pybytes()}
        self.check_matrix(Model("text_clf"), inputs, len(texts))

    def test_string_outputs_cross_between_raw_frames_and_the_other_formats(self):
        s = ["a", "bé", "", "long string " * 5, "z"] * 9
        x = np.arange(len(s) * 2, dtype=np.float32).reshape(-1, 2) / 3
        # The row count, then each input's block in the model's order: s (strings), x.
        payload = struct.pack("<I", len(s)) + b"".join(
            struct.pack("<I", len(v.encode())) + v.encode() for v in s) + x.tobytes()
        raw = struct.pack("<I", len(payload)) + payload
        ndjson = "".join(json.dumps({"s": [v], "x": [float(a) for a in row]}) + "\n" for v, row in zip(s, x)).encode()
        table = pa.table({"s": pa.array(s), "x": pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), 2)})
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as stream:
            stream.write_table(table, max_chunksize=10)
        model = Model("strings")
        reference = None
        for input_format, data in {"raw": raw, "ndjson": ndjson, "arrow": sink.getvalue().to_pybytes()}.items():
            for output_format in ["raw", "ndjson", "arrow"]:
                with self.subTest(pair=f"{input_format}>{output_format}"):
                    result = run(model.file, ["--in", input_format, "--out", output_format, "--force"], data)
                    rows = model.read(output_format, result.stdout)
                    self.assertEqual(len(rows), len(s))
                    reference = reference or rows
                    self.assertEqual(rows, reference)

    def test_text_input_writes_one_raw_frame_per_batch_and_every_record_before_a_bad_one(self):
        records = b'{"X":[1,2,3,4]}\n{"X":[4,3,2,1]}\n{"X":[1,2]}\n{"X":[0,0,0,0]}\n'
        result = run("logreg.onnx", ["--in", "ndjson", "--out", "raw"], records, expect=65)
        self.assertEqual(result.stderr.decode(), "onnxpipe: line 3: input 'X': expected 4 values, got 2\n")
        frames = raw_frames(result.stdout)
        self.assertEqual(len(frames), 1)
        self.assertEqual(len(frames[0]), 2 * (8 + 12))  # two rows of label int64 + 3 float32
        skipped = run("logreg.onnx", ["--in", "ndjson", "--out", "raw", "--on-error", "skip"], records)
        self.assertEqual([len(f) for f in raw_frames(skipped.stdout)], [3 * 20])

    def test_keep_works_where_both_formats_allow_it_and_is_refused_elsewhere(self):
        X, inputs = self.numeric_inputs()
        lines = open(os.path.join(STREAMS, "text.lines"), "rb").read()
        allowed = {("csv", "csv"), ("csv", "ndjson"), ("ndjson", "ndjson"), ("arrow", "arrow")}
        reasons = {
            ("raw", "raw"): "--keep applies to text formats and Arrow",
            ("raw", "ndjson"): "--keep applies to text formats and Arrow",
            ("raw", "csv"): "--keep applies to text formats and Arrow",
            ("raw", "arrow"): "--keep applies to text formats and Arrow",
            ("ndjson", "raw"): "raw frames carry only the model's outputs",
            ("csv", "raw"): "raw frames carry only the model's outputs",
            ("arrow", "raw"): "raw frames carry only the model's outputs",
            ("ndjson", "csv"): "NDJSON records have no columns",
            ("ndjson", "arrow"): "text records have no Arrow columns",
            ("csv", "arrow"): "text records have no Arrow columns",
            ("arrow", "ndjson"): "the input columns are copied through",
            ("arrow", "csv"): "the input columns are copied through",
        }
        for input_format in INPUTS:
            for output_format in OUTPUTS:
                with self.subTest(pair=f"{input_format}>{output_format}"):
                    args = ["--in", input_format, "--out", output_format, "--keep", "--force", "--prefix", "p_"]
                    if output_format == "raw":
                        args.remove("--prefix")
                        args.remove("p_")
                    if (input_format, output_format) in allowed:
                        result = run("logreg.onnx", args, inputs[input_format])
                        self.assertTrue(result.stdout)
                    else:
                        result = run("logreg.onnx", args, inputs[input_format], expect=64)
                        self.assertIn(reasons[(input_format, output_format)], result.stderr.decode())
        for output_format, first in [("ndjson", 0), ("csv", 1)]:
            result = run("text_clf.onnx", ["--in", "lines", "--out", output_format, "--keep"], lines)
            self.assertIn("denied timeout login failed", result.stdout.decode().splitlines()[first])
        skipped = run(
            "logreg.onnx", ["--in", "arrow", "--out", "arrow", "--keep", "--on-error", "skip", "--force", "--prefix", "p_"],
            inputs["arrow"], expect=64)
        self.assertEqual(
            skipped.stderr.decode(),
            "onnxpipe: --keep --on-error skip: Arrow output keeps whole input batches; use --on-error null or fail\n"
            "See 'onnxpipe --help'.\n")
        kept = run("logreg.onnx", ["--in", "csv", "--out", "ndjson", "--keep", "--prefix", "p_"], inputs["csv"])
        first = json.loads(kept.stdout.decode().splitlines()[0])
        self.assertEqual(list(first)[:4], ["a", "b", "c", "d"])
        self.assertEqual(first["a"], float(X[0][0]))


if __name__ == "__main__":
    unittest.main()
