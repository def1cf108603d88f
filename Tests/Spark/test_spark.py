"""onnxpipe under Apache Spark (local[2]): RDD.pipe with NDJSON, mapInArrow with Arrow
streams, and a partition of bad rows that must fail the job with onnxpipe's message.

    make test-spark     (installs pyspark into .venv; Java 17 must be on the machine)
"""

import json
import os
import subprocess
import sys
import time
import unittest

import numpy as np
import onnxruntime as ort
import pyarrow as pa
from pyspark.sql import SparkSession
from pyspark.sql import types as T

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "spark"))
from onnxpipe_spark import score_with_arrow, score_with_pipe  # noqa: E402

BINARY = os.path.abspath(os.environ.get("ONNXPIPE", os.path.join(ROOT, ".build", "release", "onnxpipe")))
MODEL = os.path.join(ROOT, "Tests", "Fixtures", "models", "rf32.onnx")
ROWS = 100_000
PARTITIONS = 8
OUTPUTS = [("label", T.LongType()), ("probabilities", T.ArrayType(T.FloatType()))]
SCHEMA = T.StructType([T.StructField("id", T.LongType(), False), T.StructField("X", T.ArrayType(T.FloatType()))])


TIMINGS = {}


class SparkTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.environ["ONNXPIPE"] = BINARY
        # Python workers run this interpreter (the project's .venv, which has pyarrow).
        os.environ["PYSPARK_PYTHON"] = sys.executable
        cls.spark = (
            SparkSession.builder.master("local[2]").appName("onnxpipe-test")
            .config("spark.executorEnv.ONNXPIPE", BINARY)
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", "4096")
            .config("spark.ui.enabled", "false")
            .getOrCreate())
        cls.spark.sparkContext.setLogLevel("ERROR")
        cls.spark.sparkContext.addFile(MODEL)
        cls.spark.sparkContext.addPyFile(os.path.join(ROOT, "examples", "spark", "onnxpipe_spark.py"))
        cls.X = np.random.default_rng(11).normal(size=(ROWS, 32)).astype(np.float32)
        session = ort.InferenceSession(MODEL, providers=["CPUExecutionProvider"])
        cls.label, cls.probabilities = session.run(None, {"X": cls.X})
        rows = [(i, cls.X[i].tolist()) for i in range(ROWS)]
        cls.df = cls.spark.createDataFrame(rows, SCHEMA).repartition(PARTITIONS).cache()
        cls.df.count()

    @classmethod
    def tearDownClass(cls):
        cls.spark.stop()

    def check(self, ids, labels, probabilities):
        ids = np.asarray(ids)
        self.assertEqual(len(ids), ROWS, "rows lost or added")
        self.assertEqual(len(np.unique(ids)), ROWS, "a row scored twice")
        order = np.argsort(ids)
        np.testing.assert_array_equal(np.asarray(labels)[order], self.label)
        np.testing.assert_allclose(np.asarray(probabilities)[order], self.probabilities, rtol=0, atol=1e-6)

    def test_rdd_pipe_with_ndjson(self):
        self.assertEqual(self.df.rdd.getNumPartitions(), PARTITIONS)
        start = time.monotonic()
        rows = score_with_pipe(self.df, "rf32.onnx", ["id", "X"], extra_args=("-j", "1")).collect()
        TIMINGS["spark local[2], RDD.pipe NDJSON"] = time.monotonic() - start
        self.assertEqual(set(rows[0]), {"id", "X", "label", "probabilities"})
        self.check([r["id"] for r in rows], [r["label"] for r in rows], [r["probabilities"] for r in rows])

    def test_map_in_arrow(self):
        start = time.monotonic()
        scored = score_with_arrow(self.df, "rf32.onnx", OUTPUTS, extra_args=("-j", "1"))
        table = pa.Table.from_batches(scored._collect_as_arrow())
        TIMINGS["spark local[2], mapInArrow"] = time.monotonic() - start
        self.assertEqual(table.column_names, ["id", "X", "label", "probabilities"])
        kept = np.stack(table["X"].to_numpy(zero_copy_only=False)).astype(np.float32)
        ids = table["id"].to_numpy()
        np.testing.assert_array_equal(kept, self.X[ids], "the input column must come back unchanged")
        probabilities = np.stack(table["probabilities"].to_numpy(zero_copy_only=False))
        self.check(ids, table["label"].to_numpy(), probabilities)

    def test_a_malformed_partition_fails_the_job_with_onnxpipes_message(self):
        bad = self.spark.createDataFrame([(ROWS + 1, [1.0, 2.0, 3.0])], SCHEMA)
        df = self.df.union(bad).repartition(PARTITIONS)
        with self.assertRaises(Exception) as arrow_failure:
            score_with_arrow(df, "rf32.onnx", OUTPUTS, extra_args=("-j", "1"))._collect_as_arrow()
        message = str(arrow_failure.exception)
        self.assertIn("onnxpipe exited with status 65", message)
        self.assertIn("column 'X' holds a list of 3 values where 32 are needed", message)
        with self.assertRaises(Exception) as pipe_failure:
            score_with_pipe(df, "rf32.onnx", ["id", "X"], extra_args=("-j", "1")).count()
        self.assertIn("exited with error code 65", str(pipe_failure.exception))

    def test_zz_one_process_on_the_same_rows(self):
        """Reference timings: the same rows through one onnxpipe process (NDJSON and Arrow)."""
        ndjson = "".join(json.dumps({"id": i, "X": self.X[i].tolist()}) + "\n" for i in range(ROWS)).encode()
        start = time.monotonic()
        out = subprocess.run([BINARY, "--in", "ndjson", "--keep", MODEL], input=ndjson, capture_output=True, check=True)
        TIMINGS["one onnxpipe process, NDJSON"] = time.monotonic() - start
        self.assertEqual(out.stdout.count(b"\n"), ROWS)
        X = pa.FixedSizeListArray.from_arrays(pa.array(self.X.ravel()), 32)
        table = pa.table({"id": pa.array(np.arange(ROWS)), "X": X})
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            for batch in table.to_batches(max_chunksize=4096):
                writer.write_batch(batch)
        start = time.monotonic()
        out = subprocess.run([BINARY, "--in", "arrow", "--keep", MODEL], input=sink.getvalue(), capture_output=True,
                             check=True)
        TIMINGS["one onnxpipe process, Arrow"] = time.monotonic() - start
        self.assertEqual(pa.ipc.open_stream(out.stdout).read_all().num_rows, ROWS)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    for name, seconds in TIMINGS.items():
        print(f"spark-timing: {name}: {ROWS} rows in {seconds:.2f} s = {ROWS / seconds:,.0f} rows/s")
    sys.exit(0 if result.wasSuccessful() else 1)
