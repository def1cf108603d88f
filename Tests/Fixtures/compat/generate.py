#!/usr/bin/env python3
"""Writes onnxpipe's compatibility corpus: models made by the converters users
bring (skl2onnx, onnxmltools for LightGBM and XGBoost, CatBoost's own export,
torch.onnx.export) plus a few hand-built ones for shapes the converters produce,
each with one input set in every format that applies and the outputs Python's
onnxruntime computes on it.

    make fixtures-compat      (installs requirements*.txt into .venv, runs this)

Layout, all under Tests/Fixtures/compat/:
    models/CASE.onnx          one small model per case
    cases/CASE/rows.bin       raw frames (u32 LE payload length, then per input in
                              model order its N rows, little-endian, row-major)
    cases/CASE/rows.ndjson    one object per row, keyed by model input name
    cases/CASE/rows.csv       header, one column per input element
    cases/CASE/rows.arrows    Arrow IPC stream, one column per model input
    cases/CASE/expected.json  onnxruntime's outputs for the 37 rows
    manifest.json             per case: producer, versions, declared and returned
                              shapes, formats (with any arguments they need), notes

Every case has ROWS = 37 rows (odd on purpose); raw frames hold 1, 20 and 16 of
them, Arrow record batches 20 and 17. Input values are rounded to 3 decimals
(float16 models: to float16) and written as the shortest text that reads back
to the same float32, so every format carries exactly the same values.

Everything is seeded and single-threaded; running it twice gives the same
files (torch's dynamo exporter included, as far as it was checked).
"""
import argparse
import copy
import io
import json
import os
import shutil
import struct
import sys
import warnings
from importlib import metadata

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
ort.set_default_logger_severity(3)  # the 37-row runs of models whose declared shapes are wrong warn on each
MODELS = os.path.join(HERE, "models")
CASES = os.path.join(HERE, "cases")
ROWS = 37
RAW_FRAMES = [1, 20, 16]
ARROW_BATCHES = [20, 17]
PRODUCER_TAG = "onnxpipe compat corpus (onnx.helper)"

warnings.filterwarnings("ignore")


def version(package):
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------
# Encoding helpers
# ---------------------------------------------------------------------------

ORT_TO_NUMPY = {
    "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
    "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int8)": np.int8, "tensor(uint8)": np.uint8,
    "tensor(bool)": np.bool_, "tensor(string)": object,
}


def number_text(value):
    """The shortest text that reads back to the same float32 (exact for float16 values too)."""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    v = np.float32(value)
    if v == 0:
        return "0" if not np.signbit(v) else "-0"
    if 1e-4 <= abs(v) < 1e7:
        return np.format_float_positional(v, unique=True, trim="-")
    return np.format_float_scientific(v, unique=True, trim="-")


def json_row(row):
    """A row of one input as NDJSON text: a number for one element, else nested arrays."""
    row = np.asarray(row)
    if row.size == 1 and row.ndim <= 1:
        return number_text(row.reshape(-1)[0])
    if row.ndim == 1:
        return "[" + ",".join(number_text(v) for v in row) + "]"
    return "[" + ",".join(json_row(r) for r in row) + "]"


def frame(payload):
    return struct.pack("<I", len(payload)) + payload


def raw_payload(arrays):
    """One raw payload from per-input arrays of the same row count (numeric inputs only)."""
    body = b""
    for array in arrays:
        if array.dtype == object:
            raise ValueError("string inputs are not used in this corpus")
        body += np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
    return body


def jsonable(value):
    """onnxruntime's result for one output as JSON: lists for tensors, [{key: prob}] for ZipMap."""
    if isinstance(value, list):
        return [{str(k): float(v) for k, v in item.items()} for item in value]
    array = np.asarray(value)
    if array.dtype == object:
        return array.tolist()
    if array.dtype.kind == "f":
        return array.astype(np.float64).tolist()
    if array.dtype.kind == "b":
        return array.tolist()
    return array.astype(np.int64).tolist()


def describe_result(value):
    if isinstance(value, list):
        keys = list(value[0].keys()) if value else []
        key_type = "string" if keys and isinstance(keys[0], str) else "int64"
        return {"kind": "zipmap", "length": len(value), "keys": [str(k) for k in keys], "key_type": key_type}
    array = np.asarray(value)
    dtype = "string" if array.dtype == object else str(array.dtype)
    return {"kind": "tensor", "shape": list(array.shape), "dtype": dtype}


def shape_of(value_info):
    """A declared shape from the model: ints, symbolic names, or null for an unnamed dimension."""
    t = value_info.type
    if t.HasField("tensor_type"):
        if not t.tensor_type.HasField("shape"):
            return None
        return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in t.tensor_type.shape.dim]
    return None


# ---------------------------------------------------------------------------
# One case: model, inputs in every format, expected outputs, manifest entry
# ---------------------------------------------------------------------------

def declared_matches(declared, *returned):
    """Whether every returned tensor shape fits the declared one (same rank, equal fixed sizes)."""
    if declared is None:
        return None
    for r in returned:
        if "shape" not in r:
            continue
        if len(r["shape"]) != len(declared):
            return False
        if any(isinstance(d, int) and d != s for d, s in zip(declared, r["shape"])):
            return False
    return True


def run_safely(session, feeds):
    try:
        return session.run(None, feeds), None
    except Exception as error:  # noqa: BLE001 - the message is what we record
        return None, " ".join(str(error).split())


def concat_results(parts):
    """Results of several runs joined along the row axis (ZipMap lists appended)."""
    joined = []
    for values in zip(*parts):
        if isinstance(values[0], list):
            joined.append([item for v in values for item in v])
        else:
            joined.append(np.concatenate([np.asarray(v) for v in values], axis=0))
    return joined


def emit_case(name, model, inputs, *, producer, notes="", formats=("raw", "ndjson", "csv", "arrow"),
              format_args=None, ragged=False, arrow_f16=False):
    """model: an onnx.ModelProto; inputs: {input name: array of ROWS rows} (ragged: list of 1-D arrays)."""
    format_args = format_args or {}
    model_path = os.path.join(MODELS, name + ".onnx")
    onnx.save(model, model_path)
    model = onnx.load(model_path)
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    in_meta = session.get_inputs()
    out_meta = session.get_outputs()
    names = [i.name for i in in_meta]
    assert sorted(names) == sorted(inputs), (name, names, list(inputs))
    graph_in = {vi.name: vi for vi in model.graph.input}
    graph_out = {vi.name: vi for vi in model.graph.output}

    # The 37-row run and the 1-row run, as a user would try them.
    if ragged:
        feeds_all = None
        results_all, error_all = None, "rows of different lengths cannot form one tensor"
    else:
        feeds_all = {n: inputs[n] for n in names}
        results_all, error_all = run_safely(session, feeds_all)
    feeds_one = {n: (inputs[n][0][None, :] if ragged else inputs[n][:1]) for n in names}
    results_one, error_one = run_safely(session, feeds_one)

    if results_all is not None:
        expected_results, expected_from = results_all, f"one run of {ROWS} rows"
    else:
        parts = []
        for r in range(ROWS):
            feeds = {n: (inputs[n][r][None, :] if ragged else inputs[n][r:r + 1]) for n in names}
            result, error = run_safely(session, feeds)
            if result is None:
                raise SystemExit(f"{name}: row {r} fails alone too: {error}")
            parts.append(result)
        expected_results, expected_from = concat_results(parts), "one run per row, results joined"

    outputs, expected_outputs, non_row = [], {}, {}
    for meta, value, value_one in zip(out_meta, expected_results,
                                      results_one or [None] * len(out_meta)):
        desc = describe_result(value)
        if results_all is not None:
            returned_all = describe_result(results_all[[o.name for o in out_meta].index(meta.name)])
        else:
            returned_all = {"error": error_all}
        returned_one = describe_result(value_one) if value_one is not None else {"error": error_one}
        if desc["kind"] == "zipmap":
            per_row = desc["length"] == ROWS
        else:
            per_row = len(desc["shape"]) >= 1 and desc["shape"][0] == ROWS
            if results_all is None and not ragged:
                # Row by row: per row when each 1-row run gives one row.
                per_row = per_row and returned_one.get("shape", [None])[:1] == [1]
        declared = shape_of(graph_out[meta.name])
        entry = {
            "name": meta.name, "type": meta.type, "declared_shape": declared,
            "declared_matches_returned": declared_matches(declared, returned_all, returned_one),
            "ort_shape": meta.shape, f"returned_{ROWS}_rows": returned_all, "returned_1_row": returned_one,
            "per_row": per_row,
        }
        outputs.append(entry)
        record = dict(desc)
        record["values"] = jsonable(value)
        if per_row:
            if desc["kind"] == "tensor":
                record["row_elements"] = int(np.prod(desc["shape"][1:])) if len(desc["shape"]) > 1 else 1
            else:
                record["row_elements"] = len(desc["keys"])
            expected_outputs[meta.name] = record
        else:
            non_row[meta.name] = record

    # Inputs in every format that applies.
    case_dir = os.path.join(CASES, name)
    if os.path.isdir(case_dir):
        shutil.rmtree(case_dir)
    os.makedirs(case_dir)
    fmt_entries = {}
    for fmt in formats:
        writer = {"raw": write_raw, "ndjson": write_ndjson, "csv": write_csv, "arrow": write_arrow}[fmt]
        file_name = writer(case_dir, names, inputs, in_meta, ragged)
        fmt_entries[fmt] = {"in": fmt, "file": file_name, "args": list(format_args.get(fmt, []))}
    if arrow_f16:
        file_name = write_arrow(case_dir, names, inputs, in_meta, ragged, file_name="rows_f16.arrows",
                                keep_float16=True)
        fmt_entries["arrow-f16"] = {"in": "arrow", "file": file_name, "args": list(format_args.get("arrow", []))}
    verify_written(case_dir, names, inputs, in_meta, fmt_entries, ragged)

    per_row_names = [o["name"] for o in outputs if o["per_row"]]
    expected = {"case": name, "rows": ROWS, "expected_from": expected_from, "outputs": per_row_names,
                "values": expected_outputs, "non_row_outputs": non_row}
    with open(os.path.join(case_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=None, separators=(",", ":"))
        f.write("\n")

    return {
        "case": name,
        "model": f"models/{name}.onnx",
        "model_bytes": os.path.getsize(model_path),
        "producer": producer,
        "model_producer": f"{model.producer_name} {model.producer_version}".strip(),
        "ir_version": model.ir_version,
        "opsets": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
        "inputs": [{"name": i.name, "type": i.type, "declared_shape": shape_of(graph_in[i.name]),
                    "ort_shape": i.shape} for i in in_meta],
        "outputs": outputs,
        "expected_from": expected_from,
        "rows": ROWS,
        "raw_frames": RAW_FRAMES if "raw" in formats else None,
        "arrow_batches": ARROW_BATCHES if "arrow" in formats else None,
        "formats": fmt_entries,
        "notes": notes,
    }


def row_width(meta, array, ragged):
    if ragged:
        return None
    return int(np.prod(array.shape[1:])) if array.ndim > 1 else 1


def write_raw(case_dir, names, inputs, in_meta, ragged):
    assert not ragged
    data, start = b"", 0
    for count in RAW_FRAMES:
        data += frame(raw_payload([inputs[n][start:start + count] for n in names]))
        start += count
    assert start == ROWS
    with open(os.path.join(case_dir, "rows.bin"), "wb") as f:
        f.write(data)
    return "rows.bin"


def write_ndjson(case_dir, names, inputs, in_meta, ragged):
    lines = []
    for r in range(ROWS):
        fields = ",".join(f'"{n}":{json_row(inputs[n][r])}' for n in names)
        lines.append("{" + fields + "}\n")
    with open(os.path.join(case_dir, "rows.ndjson"), "w") as f:
        f.write("".join(lines))
    return "rows.ndjson"


def csv_columns(names, inputs):
    columns = []
    for n in names:
        width = row_width(None, inputs[n], False)
        columns += [n] if width == 1 else [f"{n}_{j}" for j in range(width)]
    return columns


def write_csv(case_dir, names, inputs, in_meta, ragged):
    assert not ragged
    lines = [",".join(csv_columns(names, inputs)) + "\n"]
    for r in range(ROWS):
        values = []
        for n in names:
            values += [number_text(v) for v in np.asarray(inputs[n][r]).reshape(-1)]
        lines.append(",".join(values) + "\n")
    with open(os.path.join(case_dir, "rows.csv"), "w") as f:
        f.write("".join(lines))
    return "rows.csv"


def arrow_type(dtype, keep_float16):
    import pyarrow as pa
    if dtype == np.float16:
        return pa.float16() if keep_float16 else pa.float32()
    return pa.from_numpy_dtype(dtype)


def write_arrow(case_dir, names, inputs, in_meta, ragged, file_name="rows.arrows", keep_float16=False):
    """One column per input, named like it: a primitive column for one value a row,
    FixedSizeList (nested for more dimensions) otherwise, List for ragged rows.
    float16 inputs become float32 columns (what a pandas/pyarrow user has), or with
    keep_float16 halffloat columns."""
    import pyarrow as pa
    columns = {}
    for n in names:
        array = inputs[n]
        if ragged:
            element = arrow_type(array[0].dtype, keep_float16)
            columns[n] = pa.array([a.tolist() for a in array], pa.list_(element))
            continue
        element = arrow_type(array.dtype, keep_float16)
        flat = pa.array(array.reshape(-1).astype(element.to_pandas_dtype()), element)
        if array.ndim == 1 or (array.ndim == 2 and array.shape[1] == 1):
            columns[n] = flat
            continue
        column = flat
        for size in reversed(array.shape[1:]):
            column = pa.FixedSizeListArray.from_arrays(column, size)
        columns[n] = column
    table = pa.table(columns)
    path = os.path.join(case_dir, file_name)
    with pa.ipc.new_stream(path, table.schema) as writer:
        start = 0
        for count in ARROW_BATCHES:
            writer.write_batch(table.slice(start, count).combine_chunks().to_batches()[0])
            start += count
    return file_name


def verify_written(case_dir, names, inputs, in_meta, fmt_entries, ragged):
    """Reads every written format back and checks it holds exactly the input values."""
    import csv as csv_module

    import pyarrow as pa

    def same(n, got):
        want = inputs[n]
        if ragged:
            assert len(got) == ROWS and all(list(g) == w.tolist() for g, w in zip(got, want)), n
        else:
            got = np.asarray(got, dtype=np.float64).astype(want.dtype).reshape(want.shape)
            assert np.array_equal(got, want), n

    for key, entry in fmt_entries.items():
        path = os.path.join(case_dir, entry["file"])
        if entry["in"] == "raw":
            data, offset, parts = open(path, "rb").read(), 0, {n: [] for n in names}
            for count in RAW_FRAMES:
                (length,) = struct.unpack_from("<I", data, offset)
                offset += 4
                for n in names:
                    dtype = np.dtype(inputs[n].dtype).newbyteorder("<")
                    block = count * row_width(None, inputs[n], False) * dtype.itemsize
                    parts[n].append(np.frombuffer(data, dtype, block // dtype.itemsize, offset))
                    offset += block
            assert offset == len(data)
            for n in names:
                same(n, np.concatenate(parts[n]))
        elif entry["in"] == "ndjson":
            rows = [json.loads(line) for line in open(path)]
            for n in names:
                same(n, [r[n] for r in rows])
        elif entry["in"] == "csv":
            rows = list(csv_module.reader(open(path)))
            header, body = rows[0], rows[1:]
            assert len(body) == ROWS
            for n in names:
                cols = [i for i, c in enumerate(header) if c == n or c.startswith(n + "_")]
                same(n, [[float(r[i]) for i in cols] for r in body])
        else:
            table = pa.ipc.open_stream(open(path, "rb").read()).read_all()
            for n in names:
                same(n, table.column(n).to_pylist())


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

def features(rng, rows, width):
    return np.round(rng.normal(size=(rows, width)), 3).astype(np.float32)


def binary_target(x, rng):
    return (x[:, 0] + 0.6 * x[:, 1] * x[:, 2] - 0.4 * x[:, 3] + 0.3 * rng.normal(size=len(x)) > 0).astype(np.int64)


def multiclass_target(x, rng):
    return np.argmax(x[:, :3] + 0.4 * rng.normal(size=(len(x), 3)), axis=1).astype(np.int64)


def regression_target(x, rng):
    return (x[:, 0] * 2 - x[:, 1] + 0.5 * x[:, 2] * x[:, 3] + 0.1 * rng.normal(size=len(x))).astype(np.float32)


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

def lightgbm_cases(rng):
    import lightgbm
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    producer = {"library": "lightgbm", "library_version": version("lightgbm"),
                "converter": "onnxmltools", "converter_version": version("onnxmltools")}
    x = features(rng, 300, 5)
    test = features(rng, ROWS, 5)
    params = dict(n_estimators=5, num_leaves=4, min_child_samples=5, random_state=0, n_jobs=1, verbose=-1,
                  deterministic=True)
    cases = []
    for kind, y in [("binary", binary_target(x, rng)), ("multiclass", multiclass_target(x, rng))]:
        clf = lightgbm.LGBMClassifier(**params).fit(x, y)
        for zipmap in (True, False):
            name = f"lgbm_{kind}" + ("_zipmap" if zipmap else "")
            model = convert_lightgbm(clf, name=name, initial_types=[("input", FloatTensorType([None, 5]))],
                                     zipmap=zipmap)
            notes = ("ZipMap on (onnxmltools' default): 'probabilities' is seq(map(int64, float))." if zipmap
                     else "zipmap=False: 'probabilities' is a float tensor.")
            cases.append(emit_case(name, model, {"input": test}, producer=producer, notes=notes))
    reg = lightgbm.LGBMRegressor(**params).fit(x, regression_target(x, rng))
    model = convert_lightgbm(reg, name="lgbm_regressor", initial_types=[("input", FloatTensorType([None, 5]))])
    cases.append(emit_case("lgbm_regressor", model, {"input": test}, producer=producer))
    return cases


def xgboost_cases(rng):
    import xgboost
    from onnxmltools import convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType

    producer = {"library": "xgboost", "library_version": version("xgboost"),
                "converter": "onnxmltools", "converter_version": version("onnxmltools")}
    x = features(rng, 300, 5)
    test = features(rng, ROWS, 5)
    params = dict(n_estimators=5, max_depth=3, random_state=0, n_jobs=1, tree_method="exact")
    clf = xgboost.XGBClassifier(**params).fit(x, multiclass_target(x, rng))
    reg = xgboost.XGBRegressor(**params).fit(x, regression_target(x, rng))
    types = [("input", FloatTensorType([None, 5]))]
    return [
        emit_case("xgb_classifier", convert_xgboost(clf, name="xgb_classifier", initial_types=types), {"input": test},
                  producer=producer, notes="3 classes."),
        emit_case("xgb_regressor", convert_xgboost(reg, name="xgb_regressor", initial_types=types), {"input": test},
                  producer=producer),
    ]


def sklearn_cases(rng):
    import pandas as pd
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.cluster import KMeans
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import PCA
    from sklearn.ensemble import GradientBoostingClassifier, IsolationForest, RandomForestClassifier
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler
    from sklearn.svm import SVC

    producer = {"library": "scikit-learn", "library_version": version("scikit-learn"),
                "converter": "skl2onnx", "converter_version": version("skl2onnx")}
    cases = []
    x = features(rng, 240, 4)
    test = features(rng, ROWS, 4)
    yb, ym = binary_target(x, rng), multiclass_target(x, rng)

    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, ym)
    model = to_onnx(pipe, initial_types=[("float_input", FloatTensorType([None, 4]))])
    cases.append(emit_case("skl_scaler_logreg", model, {"float_input": test}, producer=producer,
                           notes="StandardScaler + LogisticRegression, 3 classes, ZipMap on (skl2onnx's default)."))

    gb = GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0).fit(x, yb)
    cases.append(emit_case("skl_gradient_boosting", to_onnx(gb, x[:1]), {"X": test}, producer=producer,
                           notes="Binary, 5 trees of depth 2, ZipMap on."))

    rf = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0, n_jobs=1).fit(x, ym)
    cases.append(emit_case("skl_random_forest", to_onnx(rf, x[:1]), {"X": test}, producer=producer,
                           notes="3 classes, 5 trees of depth 3, ZipMap on."))

    iso = IsolationForest(n_estimators=5, max_samples=64, random_state=0).fit(x)
    cases.append(emit_case("skl_isolation_forest", to_onnx(iso, x[:1], target_opset={"": 17, "ai.onnx.ml": 3}),
                           {"X": test}, producer=producer,
                           notes="target_opset ai.onnx.ml 3 (the converter needs >= 3 for IsolationForest)."))

    km = KMeans(n_clusters=3, n_init=1, random_state=0).fit(x)
    cases.append(emit_case("skl_kmeans", to_onnx(km, x[:1]), {"X": test}, producer=producer,
                           notes="Outputs label [N] and scores (distances) [N,3]."))

    pca = PCA(n_components=2, random_state=0).fit(x)
    cases.append(emit_case("skl_pca", to_onnx(pca, x[:1]), {"X": test}, producer=producer))

    svc = SVC(probability=True, random_state=0).fit(x[:90], ym[:90])
    cases.append(emit_case("skl_svc_proba", to_onnx(svc, x[:1]), {"X": test}, producer=producer,
                           notes="SVC(probability=True), RBF, 3 classes, trained on 90 rows; ZipMap on."))

    animals = np.array(["cat", "dog", "fish"], dtype=object)[ym]
    lr_str = LogisticRegression(max_iter=500).fit(x, animals)
    cases.append(emit_case("skl_string_labels", to_onnx(lr_str, x[:1]), {"X": test}, producer=producer,
                           notes="Class labels 'cat', 'dog', 'fish': output_label is a string tensor and the "
                                 "ZipMap keys are strings (seq(map(string, float)))."))

    columns = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
    frame_train = pd.DataFrame(x, columns=columns)
    frame_pipe = Pipeline([
        ("columns", ColumnTransformer([("scale", StandardScaler(), columns[:2]),
                                       ("minmax", MinMaxScaler(), columns[2:])])),
        ("clf", LogisticRegression(max_iter=500)),
    ]).fit(frame_train, ym)
    model = to_onnx(frame_pipe, frame_train[:1])
    input_names = [i.name for i in model.graph.input]
    cases.append(emit_case(
        "skl_dataframe_columns", model, {n: test[:, j:j + 1] for j, n in enumerate(input_names)}, producer=producer,
        notes="ColumnTransformer over 4 named float columns, converted from a pandas DataFrame: one [None,1] input "
              "per column, names sanitized by skl2onnx (" + ", ".join(
                  f"'{c}' -> '{n}'" for c, n in zip(columns, input_names)) + "). The corpus files use the "
              "sanitized names; a user's data has the original ones (needs --input NAME=COLUMN). ZipMap on."))

    reg = make_pipeline(StandardScaler(), LinearRegression()).fit(x, regression_target(x, rng))
    model = to_onnx(reg, initial_types=[("float_input", FloatTensorType([None, None]))])
    cases.append(emit_case(
        "skl_free_dims", model, {"float_input": test}, producer=producer,
        format_args={"raw": ["--dim", "float_input:1=4"]},
        notes="initial_types FloatTensorType([None, None]): both dimensions unnamed and free. Raw frames cannot "
              "carry the width, so the raw run pins it with the form issue 15 proposes (--dim INPUT:AXIS=SIZE); "
              "text and Arrow rows show it."))
    return cases


def catboost_cases(rng, tmp):
    import catboost

    producer = {"library": "catboost", "library_version": version("catboost"),
                "converter": "catboost (save_model format='onnx')", "converter_version": version("catboost")}
    x = features(rng, 300, 5)
    test = features(rng, ROWS, 5)
    params = dict(iterations=10, depth=3, random_seed=0, thread_count=1, verbose=False, allow_writing_files=False)
    clf = catboost.CatBoostClassifier(**params).fit(x, binary_target(x, rng))
    reg = catboost.CatBoostRegressor(**params).fit(x, regression_target(x, rng))
    cases = []
    for name, model, notes in [
        ("catboost_classifier", clf,
         "Binary. CatBoost's export always writes ZipMap probabilities (seq(map(int64, float))); it cannot be "
         "turned off."),
        ("catboost_regressor", reg,
         "Declares 'predictions' as [N] and returns [N,1] (see returned shapes)."),
    ]:
        path = os.path.join(tmp, name + ".onnx")
        model.save_model(path, format="onnx", export_parameters={"onnx_graph_name": name})
        exported = onnx.load(path)
        for prop in exported.metadata_props:  # the only bytes that change from run to run
            if prop.key == "train_finish_time":
                prop.value = "2026-01-01T00:00:00Z"
            elif prop.key == "model_guid":
                prop.value = "00000000-00000000-00000000-00000000"
        notes += (" metadata_props train_finish_time and model_guid are set to fixed values so that the file is "
                  "reproducible; nothing else is changed.")
        cases.append(emit_case(name, exported, {"features": test}, producer=producer, notes=notes))
    return cases


def torch_cases(rng, tmp):
    import torch
    from torch import nn

    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    producer = {"library": "torch", "library_version": version("torch"), "converter": "torch.onnx.export",
                "converter_version": version("torch")}
    test = features(rng, ROWS, 10)
    cases = []

    def mlp(inputs, hidden, outputs):
        return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, outputs)).eval()

    def legacy(module, example, path, input_names, output_names, dynamic_axes=None):
        torch.onnx.export(module, (example,), path, dynamo=False, input_names=input_names,
                          output_names=output_names, opset_version=17, dynamic_axes=dynamic_axes)
        return onnx.load(path)

    def dynamo(module, example, path, dynamic_shapes=None):
        import contextlib
        with contextlib.redirect_stdout(io.StringIO()):
            torch.onnx.export(module, (example,), path, dynamo=True, input_names=["input"], output_names=["output"],
                              opset_version=18, dynamic_shapes=dynamic_shapes, external_data=False)
        return onnx.load(path)

    net = mlp(10, 16, 3)
    one = torch.from_numpy(test[:1])
    p = os.path.join(tmp, "t.onnx")
    cases.append(emit_case(
        "torch_fixed_batch1", legacy(net, one, p, ["input"], ["output"]), {"input": test},
        producer=dict(producer, exporter="TorchScript (dynamo=False), opset 17"),
        notes="torch.onnx.export without dynamic_axes: input [1,10], output [1,3]. onnxruntime refuses a "
              "37-row run; expected outputs are one run per row."))
    cases.append(emit_case(
        "torch_dynamic_batch", legacy(net, one, p, ["input"], ["output"],
                                      {"input": {0: "batch_size"}, "output": {0: "batch_size"}}),
        {"input": test}, producer=dict(producer, exporter="TorchScript (dynamo=False), opset 17"),
        notes="dynamic_axes {0: 'batch_size'} on input and output."))
    cases.append(emit_case(
        "torch_dynamo_fixed_batch1", dynamo(net, one, p), {"input": test},
        producer=dict(producer, exporter="torch.export (dynamo=True, the default since torch 2.9), opset 18",
                      onnxscript=version("onnxscript")),
        notes="The dynamo exporter without dynamic_shapes: input [1,10]."))
    cases.append(emit_case(
        "torch_dynamo_dynamic_batch",
        dynamo(net, torch.from_numpy(test[:4]), p, {"input": {0: torch.export.Dim("batch_size")}}),
        {"input": test}, producer=dict(producer, exporter="torch.export (dynamo=True), opset 18",
                                       onnxscript=version("onnxscript")),
        notes="dynamic_shapes {'input': {0: Dim('batch_size')}}."))

    half = mlp(6, 8, 2).half()
    x16 = np.round(rng.normal(size=(ROWS, 6)), 2).astype(np.float16)
    cases.append(emit_case(
        "torch_float16", legacy(half, torch.from_numpy(x16[:1]), p, ["input"], ["output"],
                                {"input": {0: "batch_size"}, "output": {0: "batch_size"}}),
        {"input": x16}, producer=dict(producer, exporter="TorchScript (dynamo=False), opset 17, module.half()"),
        arrow_f16=True,
        notes="Input and output float16 [batch_size, ...]. Text carries the float16 values exactly; rows.arrows "
              "has them as float32 columns (a user's usual data), rows_f16.arrows as halffloat columns. "
              "Outputs are compared to one float16 ulp."))

    class TokenModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(32, 8)
            self.head = nn.Linear(8, 2)

        def forward(self, tokens):
            return self.head(self.embedding(tokens).mean(dim=1))

    tokens_net = TokenModel().eval()
    seq = 6
    tokens = rng.integers(1, 32, size=(ROWS, seq)).astype(np.int64)
    axes = {"tokens": {0: "batch", 1: "seq"}, "logits": {0: "batch"}}
    token_model = legacy(tokens_net, torch.from_numpy(tokens[:2]), p, ["tokens"], ["logits"], axes)
    cases.append(emit_case(
        "torch_tokens", token_model, {"tokens": tokens},
        producer=dict(producer, exporter="TorchScript (dynamo=False), opset 17"),
        format_args={"raw": ["--dim", f"seq={seq}"]},
        notes=f"Embedding + mean + Linear over int64 tokens [batch, seq]; every row has {seq} tokens. Raw frames "
              f"pin seq with --dim seq={seq}; text and Arrow rows show their length and are run without it."))
    lengths = [3 + (r * 5) % 7 for r in range(ROWS)]
    ragged = [rng.integers(1, 32, size=n).astype(np.int64) for n in lengths]
    cases.append(emit_case(
        "torch_tokens_ragged", copy.deepcopy(token_model), {"tokens": ragged},
        producer=dict(producer, exporter="TorchScript (dynamo=False), opset 17"),
        formats=("ndjson", "arrow"), ragged=True,
        notes="The torch_tokens model; rows of 3 to 9 tokens (NDJSON arrays, an Arrow List<int64> column). "
              "Expected outputs are one run per row (issue 15: runs of equal shape inside a batch)."))
    return cases


def non_row_output_case(rng):
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.round(rng.normal(size=(4, 2)), 3).astype(np.float32), "W")
    c = numpy_helper.from_array(np.round(rng.normal(size=(3, 4)), 3).astype(np.float32), "C")
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["scores"]),
        helper.make_node("ReduceSum", ["scores"], ["total"], keepdims=0),
        helper.make_node("Identity", ["C"], ["centers"]),
        helper.make_node("Shape", ["x"], ["rows_seen"], start=0, end=1),
    ]
    graph = helper.make_graph(
        nodes, "non_row_outputs",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 2]),
         helper.make_tensor_value_info("total", TensorProto.FLOAT, []),
         helper.make_tensor_value_info("centers", TensorProto.FLOAT, [3, 4]),
         helper.make_tensor_value_info("rows_seen", TensorProto.INT64, [1])],
        initializer=[w, c])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name=PRODUCER_TAG,
                              producer_version=onnx.__version__)
    model.ir_version = 8
    onnx.checker.check_model(model)
    producer = {"library": "onnx", "library_version": version("onnx"), "converter": "onnx.helper",
                "converter_version": version("onnx")}
    return [emit_case(
        "non_row_outputs", model, {"x": features(rng, ROWS, 4)}, producer=producer,
        notes="One per-row output (scores [N,2]) and three that are not per row: total (rank 0), centers "
              "(a fixed [3,4] initializer: looks per-row for a 3-row run) and rows_seen (Shape: [1] holding the "
              "run's row count: looks per-row for a 1-row run). Only 'scores' is expected in the output; "
              "raw runs select it with --outputs.")]


def main():
    # skl2onnx orders opset_import by iterating a set of strings, BLAS threads may reorder sums:
    # pin both so that the files come out the same on every run.
    pinned = {"PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if any(os.environ.get(k) != v for k, v in pinned.items()):
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, **pinned))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-torch", action="store_true",
                        help="skip the torch cases (their committed files and manifest entries are kept)")
    args = parser.parse_args()

    try:
        import torch  # noqa: F401
        have_torch = not args.no_torch
    except ImportError:
        if not args.no_torch:
            raise SystemExit("generate.py: torch is not installed (pip install -r requirements-torch.txt), "
                             "or pass --no-torch to keep the committed torch cases")
        have_torch = False

    os.makedirs(MODELS, exist_ok=True)
    os.makedirs(CASES, exist_ok=True)
    import tempfile
    tmp = tempfile.mkdtemp(prefix="onnxpipe-compat-")
    try:
        cases = []
        cases += lightgbm_cases(np.random.default_rng(101))
        cases += xgboost_cases(np.random.default_rng(202))
        cases += sklearn_cases(np.random.default_rng(303))
        cases += catboost_cases(np.random.default_rng(404), tmp)
        manifest_path = os.path.join(HERE, "manifest.json")
        if have_torch:
            cases += torch_cases(np.random.default_rng(505), tmp)
        else:
            old = json.load(open(manifest_path))["cases"] if os.path.exists(manifest_path) else []
            cases += [c for c in old if c["producer"].get("library") == "torch"]
        cases += non_row_output_case(np.random.default_rng(606))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    packages = ["numpy", "onnx", "onnxruntime", "scikit-learn", "skl2onnx", "onnxmltools", "lightgbm", "xgboost",
                "catboost", "pandas", "pyarrow", "torch", "onnxscript", "protobuf"]
    manifest = {
        "about": "onnxpipe compatibility corpus: written by generate.py, checked by check.py",
        "rows": ROWS, "raw_frames": RAW_FRAMES, "arrow_batches": ARROW_BATCHES,
        "expected_by": f"onnxruntime {ort.__version__} (Python, CPUExecutionProvider)",
        "versions": {p: version(p) for p in packages},
        "python": sys.version.split()[0],
        "cases": cases,
    }
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(HERE) for f in fs
                if "/models" in d or "/cases" in d)
    print(f"generate.py: {len(cases)} cases, {total / 1024:.0f} KiB of models and data", file=sys.stderr)


if __name__ == "__main__":
    main()
