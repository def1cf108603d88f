"""onnxpipe as a ClickHouse client's scorer, through chDB (ClickHouse in-process):
the executable() table function with JSONEachRow, and the executable_pool
function iris_label(X) of examples/clickhouse/iris_function.xml, each checked
row by row against onnxruntime's labels.

    make test-chdb      (installs chdb into .venv)
"""

import os
import shutil
import sys
import tempfile
import time
import unittest

import chdb
import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.abspath(os.environ.get("ONNXPIPE", os.path.join(ROOT, ".build", "release", "onnxpipe")))
MODEL = os.path.join(ROOT, "examples", "iris", "classifier.onnx")
EXAMPLE = os.path.join(ROOT, "examples", "clickhouse")
ROWS = 200_000
# A failing onnxpipe fails the query with its exit status and last stderr line.
SETTINGS = "SETTINGS check_exit_code = 1, stderr_reaction = 'log_last'"
# The rows, as ClickHouse makes them: Float64 arithmetic, then Float32.
FEATURES = "CAST([(number % 7) / 7, 0.5, (number % 3) / 3, -0.2], 'Array(Float32)')"


def expected_labels(rows):
    n = np.arange(rows)
    x = np.stack([n % 7 / 7, np.full(rows, 0.5), n % 3 / 3, np.full(rows, -0.2)], axis=1).astype(np.float32)
    session = ort.InferenceSession(MODEL)
    return session.run(["label"], {"X": x})[0]


class ChDBTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # user_scripts: the example's scripts and function definition, with the model beside them.
        cls.scripts = tempfile.mkdtemp(prefix="onnxpipe-chdb-")
        for name in ["onnxpipe-iris", "onnxpipe-iris-label", "iris_function.xml"]:
            shutil.copy2(os.path.join(EXAMPLE, name), cls.scripts)
        shutil.copy2(MODEL, cls.scripts)
        os.environ["ONNXPIPE"] = BINARY
        cls.expected = expected_labels(ROWS)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scripts)

    def query(self, sql):
        started = time.perf_counter()
        result = chdb.query(sql, "CSV", udf_path=self.scripts)
        elapsed = time.perf_counter() - started
        rows = [line.split(",") for line in result.bytes().decode().splitlines()]
        return rows, elapsed

    def test_table_function_scores_every_row_in_order(self):
        rows, elapsed = self.query(
            "SELECT id, label, probabilities FROM executable('onnxpipe-iris', 'JSONEachRow',"
            " 'id UInt64, label Int64, probabilities Array(Float32)',"
            f" (SELECT number AS id, {FEATURES} AS X FROM numbers({ROWS})), {SETTINGS})"
        )
        print(f"\nexecutable() table function: {ROWS} rows in {elapsed:.2f} s", file=sys.stderr)
        self.assertEqual(len(rows), ROWS)
        # In input order: onnxpipe writes one output per input, in order.
        self.assertEqual([int(r[0]) for r in rows], list(range(ROWS)))
        self.assertTrue(np.array_equal(np.array([int(r[1]) for r in rows]), self.expected))

    def test_executable_pool_function_labels_every_row(self):
        rows, elapsed = self.query(f"SELECT number, iris_label({FEATURES}) FROM numbers({ROWS})")
        print(f"\nexecutable_pool iris_label(X): {ROWS} rows in {elapsed:.2f} s", file=sys.stderr)
        self.assertEqual(len(rows), ROWS)
        self.assertEqual([int(r[0]) for r in rows], list(range(ROWS)))
        self.assertTrue(np.array_equal(np.array([int(r[1]) for r in rows]), self.expected))

    def test_a_failing_scorer_fails_the_query_with_its_message(self):
        bad = os.path.join(self.scripts, "onnxpipe-bad")
        with open(bad, "w") as script:
            script.write('#!/bin/sh\nexec "$ONNXPIPE" --in ndjson "$(dirname "$0")/missing.onnx"\n')
        os.chmod(bad, 0o755)
        with self.assertRaises(Exception) as caught:
            self.query(
                "SELECT * FROM executable('onnxpipe-bad', 'JSONEachRow', 'label Int64',"
                f" (SELECT {FEATURES} AS X FROM numbers(3)), {SETTINGS})"
            )
        self.assertIn("exited with return code 66", str(caught.exception))
        self.assertIn(f"onnxpipe: cannot open model '{self.scripts}/missing.onnx'", str(caught.exception))


if __name__ == "__main__":
    unittest.main(verbosity=2)
