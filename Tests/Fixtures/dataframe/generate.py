#!/usr/bin/env python3
"""Writes the DataFrame fixtures: models converted from pandas DataFrames with
gaps (skl2onnx, onnxmltools for LightGBM), the DataFrames as pandas and pyarrow
write them (CSV with empty fields or R's NA, NDJSON with nulls, an Arrow stream
with nulls), and what Python's onnxruntime computes on the same values.

    make fixtures-dataframe      (the compatibility corpus's pins, Tests/Fixtures/compat/requirements.txt)

Layout, under Tests/Fixtures/dataframe/:
    models/CASE.onnx         the model
    CASE/rows.csv            df.to_csv(index=False): a gap is an empty field
    CASE/rows_na.csv         df.to_csv(index=False, na_rep="NA"): R's spelling
    CASE/rows.ndjson         df.to_json(orient="records", lines=True): a gap is null
    CASE/rows.arrows         pa.Table.from_pandas(df) as an IPC stream, batches of 20 and 17 rows
    CASE/expected.json       onnxruntime's outputs for the 37 rows, the feeds they came
                             from, and the onnxpipe arguments that give the same feeds
    manifest.json            versions, and per case the columns, inputs and gaps

skl_frame_imputer: a ColumnTransformer over named columns, one [N,1] input per
column, named by skl2onnx's rule ('age (years)' -> 'age__years_'): SimpleImputer
over two float columns with gaps, StandardScaler over 'height.cm' (no imputer,
no gaps), 'visits' (pandas Int64 with gaps, filled by --missing visits=0) and
OneHotEncoder over 'city' (strings with gaps, filled by --missing city=unknown);
an 'id' column feeds no input.

lgbm_gaps: LightGBM trained on 4 float columns with gaps (one [N,4] input,
TreeEnsembleClassifier with nodes_missing_value_tracks_true); the first row has
a gap, one row is all gaps.

Everything is seeded; running it twice gives the same files.
"""
import json
import os
import shutil
import warnings
from importlib import metadata

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pyarrow as pa

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "models")
ROWS = 37
ARROW_BATCHES = [20, 17]

warnings.filterwarnings("ignore")


def version(package):
    return metadata.version(package)


def with_gaps(rng, values, fraction):
    values = values.copy()
    values[rng.random(len(values)) < fraction] = np.nan
    return values


def jsonable(value):
    """onnxruntime's result for one output: lists for tensors, [{key: prob}] for ZipMap; NaN as null."""
    def number(v):
        return None if np.isnan(v) else float(v)
    if isinstance(value, list):
        return [{str(k): number(v) for k, v in item.items()} for item in value]
    array = np.asarray(value)
    if array.dtype.kind == "f":
        return np.vectorize(number, otypes=[object])(array.astype(np.float64)).tolist()
    return array.astype(np.int64).tolist()


def feed_json(array):
    """A feed as JSON: NaN as null, strings as they are."""
    if array.dtype == object:
        return array.tolist()
    return [[None if np.isnan(v) else float(v) for v in row] for row in array.astype(np.float64)] \
        if array.dtype.kind == "f" else array.tolist()


def write_frame(case_dir, frame, ndjson):
    frame.to_csv(os.path.join(case_dir, "rows.csv"), index=False)
    frame.to_csv(os.path.join(case_dir, "rows_na.csv"), index=False, na_rep="NA")
    if ndjson:
        frame.to_json(os.path.join(case_dir, "rows.ndjson"), orient="records", lines=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pa.ipc.new_stream(os.path.join(case_dir, "rows.arrows"), table.schema) as writer:
        start = 0
        for count in ARROW_BATCHES:
            writer.write_batch(table.slice(start, count).combine_chunks().to_batches()[0])
            start += count


def check_written(case_dir, frame, ndjson):
    """Each file read back by pandas or pyarrow holds the frame's values and gaps."""
    kinds = {c: frame[c].dtype for c in frame.columns}
    for name in ("rows.csv", "rows_na.csv"):
        back = pd.read_csv(os.path.join(case_dir, name), dtype={c: "string" for c in frame.columns
                                                                if kinds[c] == object})
        compare(frame, back, name)
    if ndjson:
        compare(frame, pd.read_json(os.path.join(case_dir, "rows.ndjson"), orient="records", lines=True), "ndjson")
    table = pa.ipc.open_stream(open(os.path.join(case_dir, "rows.arrows"), "rb").read()).read_all()
    compare(frame, table.to_pandas(), "arrows")


def compare(frame, back, what):
    assert list(back.columns) == list(frame.columns), (what, list(back.columns))
    for column in frame.columns:
        want = frame[column]
        got = back[column]
        assert (want.isna().to_numpy() == got.isna().to_numpy()).all(), (what, column)
        present = ~want.isna().to_numpy()
        if want.dtype.kind == "f":
            assert np.array_equal(want.to_numpy()[present], got.to_numpy(np.float64)[present].astype(want.dtype)), \
                (what, column)
        elif want.dtype == object:
            assert [str(v) for v in want[present]] == [str(v) for v in got[present]], (what, column)
        else:  # integers (read back as float64 where there are gaps)
            assert np.array_equal(want[present].to_numpy(np.int64), got[present].to_numpy(np.float64).astype(np.int64)), \
                (what, column)


def emit(name, model, frame, feeds, *, args, notes, columns_to_inputs, ndjson=True, extra=None):
    """Saves the model and the frame's files; runs onnxruntime on `feeds` (the
    values onnxpipe reads from the files under `args`). `extra`: more runs,
    {key: (feeds, rows to keep)}, recorded under that key."""
    path = os.path.join(MODELS, name + ".onnx")
    # skl2onnx lists the opset imports in set order, which changes with Python's hash seed.
    imports = sorted(model.opset_import, key=lambda o: o.domain)
    del model.opset_import[:]
    model.opset_import.extend(imports)
    onnx.save(model, path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert sorted(names) == sorted(feeds), (names, list(feeds))
    results = session.run(None, {n: feeds[n] for n in names})
    case_dir = os.path.join(HERE, name)
    if os.path.isdir(case_dir):
        shutil.rmtree(case_dir)
    os.makedirs(case_dir)
    write_frame(case_dir, frame, ndjson)
    check_written(case_dir, frame, ndjson)
    expected = {
        "case": name, "rows": ROWS, "args": args,
        "outputs": {o.name: jsonable(v) for o, v in zip(session.get_outputs(), results)},
        "feeds": {n: feed_json(feeds[n]) for n in names},
    }
    for key, (more, rows) in (extra or {}).items():
        values = session.run(None, {n: more[n] for n in names})
        expected[key] = {o.name: jsonable(v)[rows] for o, v in zip(session.get_outputs(), values)}
    with open(os.path.join(case_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=None, separators=(",", ":"))
        f.write("\n")
    graph_inputs = [{"name": i.name, "type": i.type, "shape": i.shape} for i in session.get_inputs()]
    return {
        "case": name, "model": f"models/{name}.onnx", "producer": f"{model.producer_name} {model.producer_version}",
        "opsets": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
        "columns": [{"name": c, "dtype": str(frame[c].dtype), "gaps": int(frame[c].isna().sum())}
                    for c in frame.columns],
        "inputs": graph_inputs, "columns_to_inputs": columns_to_inputs, "args": args, "notes": notes,
    }


def frame_imputer_case(rng):
    from skl2onnx import to_onnx
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    def make(rows, gaps):
        age = np.round(rng.uniform(18, 80, rows), 1).astype(np.float32)
        income = np.round(rng.lognormal(3.5, 0.5, rows), 2).astype(np.float32)
        height = np.round(rng.normal(170, 10, rows), 1).astype(np.float32)
        visits = rng.integers(0, 12, rows)
        city = rng.choice(["Paris", "Lyon", "Nice"], rows)
        frame = pd.DataFrame({
            "id": np.arange(1, rows + 1),
            "age (years)": with_gaps(rng, age, gaps),
            "income ($k)": with_gaps(rng, income, gaps),
            "height.cm": height,
            "visits": pd.array(visits, dtype="Int64"),
            "city": pd.Series(city, dtype=object),
        })
        if gaps:
            frame.loc[rng.random(rows) < gaps, "visits"] = pd.NA
            frame.loc[rng.random(rows) < gaps, "city"] = None
        return frame

    train = make(300, 0.15)
    train["visits"] = train["visits"].fillna(0).astype(np.int64)
    train["city"] = train["city"].fillna("Paris")
    target = ((train["age (years)"].fillna(50) - 50) / 15 + (train["income ($k)"].fillna(30) - 30) / 20
              + (train["city"] == "Nice") * 0.8 + rng.normal(0, 0.5, len(train)) > 0).astype(np.int64)
    columns = ["age (years)", "income ($k)", "height.cm", "visits", "city"]
    pipe = Pipeline([
        ("columns", ColumnTransformer([
            ("imputed", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
             ["age (years)", "income ($k)"]),
            ("height", StandardScaler(), ["height.cm"]),
            ("visits", StandardScaler(), ["visits"]),
            ("city", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ])),
        ("clf", LogisticRegression(max_iter=500)),
    ]).fit(train[columns], target)
    model = to_onnx(pipe, train[columns][:1])
    input_names = [i.name for i in model.graph.input]

    test = make(ROWS, 0.2)
    test.loc[0, "age (years)"] = np.nan  # the first row has a gap
    feeds = {}
    for column, name in zip(columns, input_names):
        values = test[column]
        if column == "visits":
            feeds[name] = values.fillna(0).to_numpy(np.int64).reshape(-1, 1)
        elif column == "city":
            feeds[name] = values.fillna("unknown").to_numpy(object).reshape(-1, 1)
        else:
            feeds[name] = values.to_numpy(np.float32).reshape(-1, 1)
    height_gap = dict(feeds)
    height_gap["height_cm"] = feeds["height_cm"].copy()
    height_gap["height_cm"][0, 0] = np.nan
    return emit(
        "skl_frame_imputer", model, test, feeds, args=["--missing", "visits=0", "--missing", "city=unknown"],
        extra={"outputs_with_height_gap_in_row_1": (height_gap, slice(0, 1))},
        columns_to_inputs=dict(zip(columns, input_names)),
        notes="Inputs named by skl2onnx's rule from the DataFrame's columns. The imputed float inputs take NaN "
              "for a gap (auto); 'visits' and 'city' need --missing NAME=VALUE (the expected outputs used 0 and "
              "'unknown'); 'height.cm' has no imputer, so a gap there is refused under auto "
              "(outputs_with_height_gap_in_row_1: the first row with NaN there, as --missing nan gives it).")


def lgbm_case(rng):
    import lightgbm
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    def make(rows):
        x = np.round(rng.normal(size=(rows, 4)), 3).astype(np.float32)
        return x, np.column_stack([with_gaps(rng, x[:, j], 0.15) for j in range(4)])

    x, gappy = make(300)
    y = (np.nan_to_num(gappy[:, 0], nan=1.0) + 0.6 * x[:, 1] * x[:, 2] - 0.4 * x[:, 3]
         + 0.3 * rng.normal(size=300) > 0).astype(np.int64)
    clf = lightgbm.LGBMClassifier(n_estimators=20, num_leaves=7, min_child_samples=5, random_state=0,
                                  n_jobs=1, verbose=-1).fit(gappy, y)
    model = convert_lightgbm(clf, name="lgbm_gaps", initial_types=[("input", FloatTensorType([None, 4]))],
                             zipmap=False, target_opset=15)
    _, test = make(ROWS)
    test[0, 1] = np.nan  # the first row has a gap
    test[5, :] = np.nan  # and one row is all gaps
    frame = pd.DataFrame(test, columns=[f"f{j}" for j in range(4)])
    return emit(
        "lgbm_gaps", model, frame, {"input": test}, args=[], columns_to_inputs={"f0..f3": "input"}, ndjson=False,
        notes="One [N,4] input: CSV and Arrow gather the four columns. The tree ensemble tracks missing values, "
              "so a gap is NaN under auto.")


def main():
    if os.path.isdir(MODELS):
        shutil.rmtree(MODELS)
    os.makedirs(MODELS)
    cases = [frame_imputer_case(np.random.default_rng(16)), lgbm_case(np.random.default_rng(61))]
    packages = ["numpy", "pandas", "pyarrow", "onnx", "onnxruntime", "scikit-learn", "skl2onnx", "onnxmltools",
                "lightgbm", "protobuf"]
    manifest = {
        "about": "onnxpipe DataFrame fixtures (missing values, DataFrame column names): written by generate.py",
        "rows": ROWS, "arrow_batches": ARROW_BATCHES,
        "expected_by": f"onnxruntime {version('onnxruntime')} (Python, CPUExecutionProvider)",
        "versions": {p: version(p) for p in packages},
        "cases": cases,
    }
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
