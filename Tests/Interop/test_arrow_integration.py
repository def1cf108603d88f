"""The Arrow project's own integration streams through `onnxpipe --keep`.

Each stream of Tests/Fixtures/arrow-testing (apache/arrow-testing's
data/arrow-ipc-stream/integration, every version folder; see its README) gets
a float32 column X for the model, added by ipc_splice without touching any
other message. onnxpipe must give back, batch by batch, every original column
equal to what pyarrow reads from the original stream, the same dictionary
batches in the same places, and X's predictions equal to onnxruntime's.
Big-endian and compressed streams are valid but not read: they must be refused
by name (never as "corrupt"), with what to do.

    ONNXPIPE=.build/debug/onnxpipe .venv/bin/python -m unittest -v Tests/Interop/test_arrow_integration.py
"""

import glob
import os
import subprocess
import sys
import unittest

import numpy as np
import onnxruntime as ort
import pyarrow as pa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ipc_splice import add_column, message_kinds  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("ONNXPIPE", os.path.join(ROOT, ".build", "debug", "onnxpipe"))
RF32 = os.path.join(ROOT, "Tests", "Fixtures", "models", "rf32.onnx")
CORPUS = os.environ.get("ARROW_TESTING_DIR", os.path.join(ROOT, "Tests", "Fixtures", "arrow-testing"))
TOLERANCE = 1e-6


def streams():
    return sorted(glob.glob(os.path.join(CORPUS, "*", "*.stream")))


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def name(path):
    return os.path.relpath(path, CORPUS)


def spliced(path):
    """The stream with X appended, and X's rows in order."""
    rng = np.random.default_rng(7)
    rows = []

    def values(count):
        block = rng.normal(size=(count, 32)).astype("<f4")
        rows.append(block)
        return block.tobytes()

    data = add_column(read(path), "X", values, 32)
    return data, np.concatenate(rows) if rows else np.zeros((0, 32), np.float32)


def run(data):
    return subprocess.run([BINARY, "--in", "arrow", "--keep", RF32], input=data, capture_output=True, timeout=120)


class IntegrationStreamTests(unittest.TestCase):
    def test_the_corpus_is_there(self):
        # Without its files every test below would pass on nothing.
        self.assertGreaterEqual(len(streams()), 87, CORPUS)
        folders = {os.path.dirname(name(path)) for path in streams()}
        self.assertLessEqual({"0.14.1", "0.17.1", "1.0.0-littleendian", "1.0.0-bigendian", "2.0.0-compression",
                              "4.0.0-shareddict", "cpp-21.0.0"}, folders)

    def test_every_little_endian_stream_comes_back_with_every_column_equal(self):
        session = ort.InferenceSession(RF32, providers=["CPUExecutionProvider"])
        checked = 0
        for path in streams():
            if "bigendian" in path or "compression" in path:
                continue
            with self.subTest(name(path)):
                data, X = spliced(path)
                result = run(data)
                self.assertEqual(result.returncode, 0, result.stderr.decode())
                self.assertEqual(result.stderr, b"")
                original = pa.ipc.open_stream(read(path))
                out = pa.ipc.open_stream(result.stdout)
                count = len(original.schema)
                self.assertEqual(out.schema.names, original.schema.names + ["X", "label", "probabilities"])
                for index in range(count):
                    self.assertTrue(
                        out.schema.field(index).equals(original.schema.field(index), check_metadata=True),
                        f"{out.schema.field(index)} != {original.schema.field(index)}")
                for key, value in (original.schema.metadata or {}).items():
                    self.assertEqual(out.schema.metadata[key], value)
                expected = list(original)
                written = list(out)
                self.assertEqual([b.num_rows for b in written], [b.num_rows for b in expected])
                for number, (before, after) in enumerate(zip(expected, written)):
                    # As one-batch tables: pyarrow has no Python array class for some types (day_time_interval).
                    before, after = pa.Table.from_batches([before]), pa.Table.from_batches([after])
                    for index in range(count):
                        self.assertTrue(
                            after.column(index).equals(before.column(index)),
                            f"batch {number + 1}, column {index} '{original.schema.names[index]}'")
                # The same dictionary batches (ids, replacements, deltas), each before the same record batch.
                self.assertEqual(message_kinds(result.stdout), message_kinds(read(path)))
                table = pa.Table.from_batches(written, schema=out.schema)
                np.testing.assert_array_equal(
                    table["X"].combine_chunks().flatten().to_numpy().reshape(-1, 32), X)
                if len(X):
                    label, probabilities = session.run(None, {"X": X})
                    np.testing.assert_array_equal(table["label"].to_numpy(), label)
                    np.testing.assert_allclose(
                        table["probabilities"].combine_chunks().flatten().to_numpy().reshape(len(X), -1),
                        probabilities, rtol=0, atol=TOLERANCE)
                checked += 1
        self.assertGreaterEqual(checked, 61)

    def test_big_endian_streams_are_refused_by_name(self):
        for path in streams():
            if "bigendian" not in path:
                continue
            with self.subTest(name(path)):
                result = run(spliced(path)[0])
                self.assertEqual(result.returncode, 65, result.stderr.decode())
                message = result.stderr.decode()
                self.assertRegex(message, r"^onnxpipe: arrow message 1 \(byte 0\): the stream is big-endian, "
                                          r"which onnxpipe does not read; write it again little-endian")
                self.assertNotIn("corrupt", message)
                self.assertEqual(len(message.splitlines()), 1)

    def test_compressed_streams_are_refused_naming_the_codec(self):
        seen = set()
        for path in streams():
            if "compression" not in path:
                continue
            codec = "ZSTD" if "zstd" in path else "LZ4_FRAME"
            seen.add(codec)
            with self.subTest(name(path)):
                result = run(spliced(path)[0])
                self.assertEqual(result.returncode, 65, result.stderr.decode())
                message = result.stderr.decode()
                self.assertRegex(message, rf"^onnxpipe: batch 1 \(byte \d+\): the body is compressed \({codec}\), "
                                          r"which onnxpipe does not read .*; write the stream uncompressed")
                self.assertNotIn("corrupt", message)
        self.assertEqual(seen, {"ZSTD", "LZ4_FRAME"})


if __name__ == "__main__":
    unittest.main()
