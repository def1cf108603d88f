"""DataFrame round trips: pandas (and DuckDB) write a table with gaps and its
own column names as CSV, NDJSON and Arrow; onnxpipe scores it with --keep; pandas
reads the result back. Every prediction must equal onnxruntime's on the same
DataFrame, and the kept columns must equal the input.

The models are the committed fixtures of Tests/Fixtures/dataframe (generate.py):
a skl2onnx ColumnTransformer converted from a DataFrame (one [N,1] input per
column, named by skl2onnx's rule, SimpleImputer over the float columns with
gaps) and LightGBM trained on gaps.

Run by `make interop` with the project's virtual environment:
    ONNXPIPE=.build/debug/onnxpipe .venv/bin/python -m unittest -v Tests/Interop/test_dataframe.py
"""

import io
import json
import os
import subprocess
import tempfile
import unittest

import duckdb
import numpy as np
import onnxruntime as ort
import pandas as pd
import polars as pl
import pyarrow as pa

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("ONNXPIPE", os.path.join(ROOT, ".build", "debug", "onnxpipe"))
MODELS = os.path.join(ROOT, "Tests", "Fixtures", "dataframe", "models")
FRAME_MODEL = os.path.join(MODELS, "skl_frame_imputer.onnx")
LGBM_MODEL = os.path.join(MODELS, "lgbm_gaps.onnx")
TOLERANCE = 1e-6
# The model's inputs, as skl2onnx named the DataFrame's columns.
INPUTS = {"age (years)": "age__years_", "income ($k)": "income___k_", "height.cm": "height_cm",
          "visits": "visits", "city": "city"}
FILLS = ["--missing", "visits=0", "--missing", "city=unknown"]
ort.set_default_logger_severity(3)  # LightGBM's label is declared [1]: onnxruntime warns on each run


def frame(rows=200, seed=7):
    """Mixed types as a user's table has them: int64 ids, float32 with gaps, a nullable
    Int64, strings with gaps; column names with spaces, parentheses, $ and a dot."""
    rng = np.random.default_rng(seed)

    def gaps(values, fraction=0.2):
        values = values.copy()
        values[rng.random(len(values)) < fraction] = np.nan
        return values

    visits = pd.array(rng.integers(0, 12, rows), dtype="Int64")
    visits[rng.random(rows) < 0.2] = pd.NA
    city = pd.Series(rng.choice(["Paris", "Lyon", "Nice"], rows), dtype=object)
    city[rng.random(rows) < 0.2] = None
    return pd.DataFrame({
        "id": np.arange(1, rows + 1, dtype=np.int64),
        "age (years)": gaps(np.round(rng.uniform(18, 80, rows), 1).astype(np.float32)),
        "income ($k)": gaps(np.round(rng.lognormal(3.5, 0.5, rows), 2).astype(np.float32)),
        "height.cm": np.round(rng.normal(170, 10, rows), 1).astype(np.float32),
        "visits": visits,
        "city": city,
    })


def reference(df):
    """onnxruntime on the DataFrame: NaN where the floats have gaps, the fills elsewhere."""
    feeds = {}
    for column, name in INPUTS.items():
        values = df[column]
        if column == "visits":
            feeds[name] = values.fillna(0).to_numpy(np.int64).reshape(-1, 1)
        elif column == "city":
            feeds[name] = values.fillna("unknown").to_numpy(object).reshape(-1, 1)
        else:
            feeds[name] = values.to_numpy(np.float32).reshape(-1, 1)
    session = ort.InferenceSession(FRAME_MODEL, providers=["CPUExecutionProvider"])
    label, probabilities = session.run(None, feeds)
    return label, np.array([[row[0], row[1]] for row in probabilities], dtype=np.float64)


def lgbm_frame(seed, rows=150):
    """Four float32 columns with a fifth of their values missing, and onnxruntime's LightGBM label and
    probabilities for them."""
    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(size=(rows, 4)), 3).astype(np.float32)
    values[rng.random(values.shape) < 0.2] = np.nan
    session = ort.InferenceSession(LGBM_MODEL, providers=["CPUExecutionProvider"])
    label, probabilities = session.run(None, {"input": values})
    return pd.DataFrame(values, columns=["f0", "f1", "f2", "f3"]), label, probabilities


def onnxpipe(data, *args):
    result = subprocess.run([BINARY, *args], input=data, capture_output=True, timeout=120)
    return result


class DataFrameRoundTripTests(unittest.TestCase):
    def score(self, data, *args):
        result = onnxpipe(data, *args)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertEqual(result.stderr, b"")
        return result.stdout

    def score_arrow(self, table, chunk):
        """`table` as an Arrow stream of `chunk`-row batches through `--keep`, read back."""
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            for batch in table.to_batches(max_chunksize=chunk):
                writer.write_batch(batch)
        out = self.score(sink.getvalue().to_pybytes(), "--in", "arrow", "--keep", *FILLS, FRAME_MODEL)
        return pa.ipc.open_stream(out).read_all()

    def assert_predictions(self, label, probabilities, df):
        want_label, want_probabilities = reference(df)
        np.testing.assert_array_equal(np.asarray(label, dtype=np.int64), want_label)
        np.testing.assert_allclose(np.asarray(probabilities, dtype=np.float64), want_probabilities, rtol=0,
                                   atol=TOLERANCE)

    def test_pandas_csv_with_gaps_through_keep(self):
        df = frame()
        for na_rep in ("", "NA"):  # pandas' default, and R's spelling
            with self.subTest(na_rep=na_rep):
                text = df.to_csv(index=False, na_rep=na_rep)
                out = self.score(text.encode(), "--format", "csv", "--keep", *FILLS, FRAME_MODEL)
                back = pd.read_csv(io.BytesIO(out))
                self.assertEqual(list(back.columns), list(df.columns) + [
                    "output_label", "output_probability_0", "output_probability_1"])
                pd.testing.assert_frame_equal(back[df.columns], pd.read_csv(io.StringIO(text)))
                self.assertEqual(back["age (years)"].isna().tolist(), df["age (years)"].isna().tolist())
                self.assert_predictions(back["output_label"],
                                        back[["output_probability_0", "output_probability_1"]], df)
                # Each output line starts with its input line, byte for byte.
                for kept, line in zip(out.decode().splitlines()[1:], text.splitlines()[1:]):
                    self.assertTrue(kept.startswith(line + ","), kept)

    def test_pandas_ndjson_with_nulls_through_keep(self):
        df = frame()
        text = df.to_json(orient="records", lines=True)
        out = self.score(text.encode(), "--in", "ndjson", "--keep", *FILLS, FRAME_MODEL)
        records = [json.loads(line) for line in out.decode().splitlines()]
        originals = [json.loads(line) for line in text.splitlines()]
        self.assertEqual(len(records), len(df))
        for record, original in zip(records, originals):
            self.assertEqual({k: record[k] for k in original}, original)
        self.assert_predictions([r["output_label"] for r in records],
                                [[r["output_probability"]["0"], r["output_probability"]["1"]] for r in records], df)

    def test_pandas_arrow_with_nulls_through_keep(self):
        df = frame()
        table = pa.Table.from_pandas(df, preserve_index=False)
        self.assertGreater(table.column("age (years)").null_count, 0)
        out = self.score_arrow(table, chunk=64)
        self.assertEqual(out.column_names, list(df.columns) + ["output_label", "output_probability"])
        for column in df.columns:
            self.assertTrue(out.column(column).equals(table.column(column)), column)
        pd.testing.assert_frame_equal(out.select(list(df.columns)).to_pandas(), table.to_pandas())
        probabilities = [[dict(row)[0], dict(row)[1]] for row in out.column("output_probability").to_pylist()]
        self.assert_predictions(out.column("output_label").to_pylist(), probabilities, df)

    def test_pandas_category_column_through_arrow_keep(self):
        """pandas' category dtype is a dictionary-encoded Arrow column: it feeds the string input and comes
        back through --keep as the same categories."""
        df = frame()
        df["city"] = df["city"].astype("category")
        table = pa.Table.from_pandas(df, preserve_index=False)
        self.assertTrue(pa.types.is_dictionary(table.schema.field("city").type))
        out = self.score_arrow(table, chunk=50)
        for column in df.columns:
            self.assertTrue(out.column(column).equals(table.column(column)), column)
        back = out.select(list(df.columns)).to_pandas()
        self.assertEqual(back["city"].dtype, df["city"].dtype)
        probabilities = [[dict(row)[0], dict(row)[1]] for row in out.column("output_probability").to_pylist()]
        self.assert_predictions(out.column("output_label").to_pylist(), probabilities, df.astype({"city": object}))

    def test_polars_round_trip_through_keep(self):
        """Polars writes its default IPC stream (strings as Utf8View, a Categorical as a dictionary) and
        reads onnxpipe's output back: the kept columns equal the frame, the scores equal onnxruntime's."""
        df = frame()
        frame_pl = pl.from_pandas(df).with_columns(pl.col("city").cast(pl.Categorical))
        sink = io.BytesIO()
        frame_pl.write_ipc_stream(sink)
        out = pl.read_ipc_stream(io.BytesIO(self.score(sink.getvalue(), "--in", "arrow", "--keep", *FILLS,
                                                       FRAME_MODEL)))
        self.assertEqual(out.columns, list(df.columns) + ["output_label", "output_probability"])
        self.assertTrue(out.select(frame_pl.columns).equals(frame_pl))
        probabilities = [[row[0], row[1]] for row in out["output_probability"].to_list()]  # Map: {key: value}
        self.assert_predictions(out["output_label"].to_list(), probabilities, df)

    def test_duckdb_csv_with_gaps(self):
        df = frame()
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "frame.csv")
            duckdb.sql("SELECT * FROM df").write_csv(path)
            data = open(path, "rb").read()
        out = self.score(data, "--in", "csv", *FILLS, FRAME_MODEL)
        records = [json.loads(line) for line in out.decode().splitlines()]
        self.assert_predictions([r["output_label"] for r in records],
                                [[r["output_probability"]["0"], r["output_probability"]["1"]] for r in records], df)

    def test_gaps_refused_where_the_model_has_no_imputer(self):
        df = frame()
        df.loc[3, "height.cm"] = np.nan
        result = onnxpipe(df.to_csv(index=False).encode(), "--in", "csv", *FILLS, FRAME_MODEL)
        self.assertEqual(result.returncode, 65)
        self.assertEqual(result.stderr.decode(),
                         "onnxpipe: line 5: input 'height_cm': CSV field 4 is empty where a value is due; "
                         "add --missing nan if the model treats NaN as missing\n")
        self.assertEqual(len(result.stdout.decode().splitlines()), 3)

    def test_lightgbm_takes_pandas_gaps_without_an_option(self):
        df, label, probabilities = lgbm_frame(seed=3)
        out = self.score(df.to_csv(index=False).encode(), "--format", "csv", "--keep", LGBM_MODEL)
        back = pd.read_csv(io.BytesIO(out))
        pd.testing.assert_frame_equal(back[df.columns], pd.read_csv(io.StringIO(df.to_csv(index=False))))
        np.testing.assert_array_equal(back["label"].to_numpy(), label)
        np.testing.assert_allclose(back[["probabilities_0", "probabilities_1"]].to_numpy(), probabilities, rtol=0,
                                   atol=TOLERANCE)

    def test_lightgbm_takes_pandas_ndjson_rows_one_value_per_field(self):
        """`to_json(orient="records", lines=True)` writes a row as one value per field: the model's one
        input takes them in column order, by default when the fields are exactly its width (gaps as
        null), and with --columns when other number fields come along (an id)."""
        df, label, probabilities = lgbm_frame(seed=5)
        for frame_, args in [(df, []), (df[["f2", "f0", "f3", "f1"]], []),
                             (df.assign(id=np.arange(150)), ["--columns", "f0,f1,f2,f3"])]:
            text = frame_.to_json(orient="records", lines=True).encode()
            if args == [] and list(frame_.columns) != ["f0", "f1", "f2", "f3"]:
                args = ["--columns", "f0,f1,f2,f3"]  # fields in another order: the column order is named
            out = self.score(text, "--in", "ndjson", *args, LGBM_MODEL)
            rows = [json.loads(line) for line in out.decode().splitlines()]
            np.testing.assert_array_equal([row["label"] for row in rows], label)
            np.testing.assert_allclose([row["probabilities"] for row in rows], probabilities, rtol=0,
                                       atol=TOLERANCE)
        result = onnxpipe(df.assign(id=np.arange(150)).to_json(orient="records", lines=True).encode(),
                          "--in", "ndjson", LGBM_MODEL)
        self.assertEqual(result.returncode, 65)
        self.assertIn("name the 4 fields that feed it, in order, with --columns", result.stderr.decode())


if __name__ == "__main__":
    unittest.main()
