#!/usr/bin/env python3
"""Writes onnxpipe's test fixtures: small ONNX models and raw-frame streams
with the outputs Python's onnxruntime computes for them.

Run by `make fixtures` (needs numpy, scikit-learn, skl2onnx, onnx, onnxruntime
in .venv). The outputs are committed, so `make test` needs no Python.

Raw frame stream: each frame is a u32 little-endian payload length, then the
payload. A numeric payload is, for each model input in order, N rows of that
input's elements, little-endian; a payload with any string tensor starts with
a u32 row count and writes each string as u32 length + UTF-8 bytes.
"""
import json
import os
import struct
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from skl2onnx.common.data_types import StringTensorType

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "models")
STREAMS = os.path.join(HERE, "streams")
EXAMPLES = os.path.join(HERE, "..", "..", "examples")
OPSETS = {"": 17, "ai.onnx.ml": 3}
IR_VERSION = 8  # Debian's ONNX Runtime 1.21 reads IR <= 10; keep well inside it.


def save(model, name):
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    path = os.path.join(MODELS, name)
    onnx.save(model, path)
    return path


def random_forest(rng):
    x = rng.normal(size=(2000, 32)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] * x[:, 2] - x[:, 3] > 0).astype(np.int64)
    clf = RandomForestClassifier(n_estimators=50, max_depth=8, random_state=0).fit(x, y)
    model = to_onnx(clf, x[:1], target_opset=OPSETS, options={id(clf): {"zipmap": False}})
    model.producer_name = "skl2onnx"
    return save(model, "rf32.onnx")


def mlp(rng):
    """Two 512-wide hidden layers on 32 features: the compute-bound benchmark model."""
    x = rng.normal(size=(1000, 32)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    clf = MLPClassifier(hidden_layer_sizes=(512, 512), max_iter=20, random_state=0).fit(x, y)
    model = to_onnx(clf, x[:1], target_opset=OPSETS, options={id(clf): {"zipmap": False}})
    return save(model, "mlp512.onnx")


def logistic(rng, zipmap, name):
    x = rng.normal(size=(600, 4)).astype(np.float32)
    y = np.argmax(x[:, :3] + 0.3 * rng.normal(size=(600, 3)), axis=1).astype(np.int64)
    clf = LogisticRegression(max_iter=500).fit(x, y)
    options = {id(clf): {"zipmap": zipmap}}
    model = to_onnx(clf, x[:1], target_opset=OPSETS, options=options)
    return save(model, name)


def strings_model():
    """Two inputs of different types, a string output: exercises the string layout."""
    s = helper.make_tensor_value_info("s", TensorProto.STRING, ["N"])
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])
    s_out = helper.make_tensor_value_info("s_out", TensorProto.STRING, ["N"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])
    one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
    graph = helper.make_graph(
        [helper.make_node("Identity", ["s"], ["s_out"]), helper.make_node("Add", ["x", "one"], ["y"])],
        "strings", [s, x], [s_out, y], initializer=[one])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="onnxpipe-fixtures")
    return save(model, "strings.onnx")


def mixed_model():
    """A float input and an int64 input; output float = x * k, int32 output = k + 1."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])
    k = helper.make_tensor_value_info("k", TensorProto.INT64, ["batch", 1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])
    k1 = helper.make_tensor_value_info("k1", TensorProto.INT32, ["batch", 1])
    one = helper.make_tensor("one", TensorProto.INT32, [1], [1])
    nodes = [
        helper.make_node("Cast", ["k"], ["kf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["x", "kf"], ["y"]),
        helper.make_node("Cast", ["k"], ["k32"], to=TensorProto.INT32),
        helper.make_node("Add", ["k32", "one"], ["k1"]),
    ]
    graph = helper.make_graph(nodes, "mixed", [x, k], [y, k1], initializer=[one])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="onnxpipe-fixtures")
    return save(model, "mixed.onnx")


def reshape_model():
    """Runs only when 4*N is divisible by 3: a Run failure on chosen frames."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 3])
    graph = helper.make_graph([helper.make_node("Reshape", ["x", "shape"], ["y"])], "reshape", [x], [y], initializer=[shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="onnxpipe-fixtures")
    return save(model, "reshape.onnx")


LOG_WORDS = {
    0: ["GET", "200", "OK", "index.html", "served", "cache", "hit", "user", "login", "success"],
    1: ["ERROR", "500", "timeout", "failed", "exception", "database", "refused", "crash", "panic", "denied"],
}


def log_lines(rng, count):
    lines, labels = [], []
    for _ in range(count):
        label = int(rng.integers(0, 2))
        words = list(rng.choice(LOG_WORDS[label], size=5)) + list(rng.choice(LOG_WORDS[1 - label], size=1))
        rng.shuffle(words)
        lines.append(" ".join(words))
        labels.append(label)
    return lines, labels


def text_classifier(rng):
    """TF-IDF + logistic regression over log lines: a string input [N, 1] (needs en_US.UTF-8)."""
    lines, labels = log_lines(rng, 400)
    pipeline = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=500)).fit(lines, labels)
    model = to_onnx(pipeline, initial_types=[("text", StringTensorType([None, 1]))], target_opset=OPSETS,
                    options={id(pipeline.steps[-1][1]): {"zipmap": False}})
    return save(model, "text_clf.onnx")


def number_text(value):
    """The shortest text that reads back to the same float32."""
    return np.format_float_positional(np.float32(value), unique=True, trim="-") if abs(value) >= 1e-4 or value == 0 \
        else np.format_float_scientific(np.float32(value), unique=True, trim="-")


def text_case(name, model_path, records, feeds, outputs):
    """Writes NAME.ndjson/.csv/.lines inputs (records: list of text) and NAME.expected.json:
    one object per record with onnxruntime's outputs as lists."""
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    results = session.run(outputs, feeds)
    expected = []
    for row in range(len(np.asarray(results[0]) if not isinstance(results[0], list) else results[0])):
        item = {}
        for output_name, result in zip(outputs, results):
            value = result[row]
            if isinstance(value, dict):
                item[output_name] = {str(k): float(v) for k, v in value.items()}
            else:
                item[output_name] = np.asarray(value).tolist()
        expected.append(item)
    with open(os.path.join(STREAMS, name), "w") as f:
        f.write("".join(records))
    with open(os.path.join(STREAMS, name + ".expected.json"), "w") as f:
        json.dump(expected, f)


def batch_of_three_model():
    """Identity on x [N, 4] through a [3, -1] reshape: Run fails unless N is a multiple of 3."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    three = helper.make_tensor("three", TensorProto.INT64, [2], [3, -1])
    four = helper.make_tensor("four", TensorProto.INT64, [2], [-1, 4])
    nodes = [helper.make_node("Reshape", ["x", "three"], ["z"]), helper.make_node("Reshape", ["z", "four"], ["y"])]
    graph = helper.make_graph(nodes, "batch3", [x], [y], initializer=[three, four])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="onnxpipe-fixtures")
    return save(model, "batch3.onnx")


def unknown_op_model():
    """A node no runtime implements: loading must fail cleanly."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    graph = helper.make_graph([helper.make_node("NoSuchOp", ["x"], ["y"], domain="com.example")], "unknown", [x], [y])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)],
        producer_name="onnxpipe-fixtures")
    model.ir_version = IR_VERSION
    onnx.save(model, os.path.join(MODELS, "unknown_op.onnx"))


def frame(payload):
    return struct.pack("<I", len(payload)) + payload


def encode(arrays, kinds):
    """One raw payload from per-input (or per-output) arrays of N rows."""
    n = len(arrays[0])
    body = b""
    has_strings = any(k == "string" for k in kinds)
    if has_strings:
        body += struct.pack("<I", n)
    for array, kind in zip(arrays, kinds):
        if kind == "string":
            for item in array.reshape(-1):
                data = item.encode("utf-8")
                body += struct.pack("<I", len(data)) + data
        else:
            body += np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
    return body


def kind_of(array):
    return "string" if array.dtype.kind in "OU" else str(array.dtype)


def write_case(name, model_path, batches, outputs=None):
    """batches: list of per-input array lists, one per frame."""
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    out_names = outputs or [o.name for o in session.get_outputs() if o.type.startswith("tensor")]
    inp, exp, manifest_outputs = b"", b"", None
    rows = 0
    for arrays in batches:
        inp += frame(encode(arrays, [kind_of(a) for a in arrays]))
        results = session.run(out_names, dict(zip(names, arrays)))
        results = [np.asarray(r) for r in results]
        exp += frame(encode(results, [kind_of(r) for r in results]))
        rows += len(arrays[0])
        manifest_outputs = [
            {"name": n, "type": kind_of(r), "rowElements": int(np.prod(r.shape[1:])) if r.ndim > 1 else 1}
            for n, r in zip(out_names, results)
        ]
    with open(os.path.join(STREAMS, name + ".in"), "wb") as f:
        f.write(inp)
    with open(os.path.join(STREAMS, name + ".expected"), "wb") as f:
        f.write(exp)
    return {"name": name, "model": os.path.basename(model_path), "frames": len(batches), "rows": rows,
            "outputs": manifest_outputs}


def main():
    os.makedirs(MODELS, exist_ok=True)
    os.makedirs(STREAMS, exist_ok=True)
    rng = np.random.default_rng(20261128)
    rf = random_forest(rng)
    lr = logistic(rng, False, "logreg.onnx")
    lrz = logistic(np.random.default_rng(20261128), True, "logreg_zipmap.onnx")
    # The same recipe on other data: a "retrained" logreg with the same inputs and outputs, for reloads.
    logistic(np.random.default_rng(20261129), False, "logreg_retrained.onnx")
    st = strings_model()
    mx = mixed_model()
    reshape_model()
    batch_of_three_model()
    mlp(np.random.default_rng(512))
    unknown_op_model()
    text = text_classifier(rng)

    cases = []
    sizes = [1, 7, 4096, 0, 300, 2, 1000, 33]
    cases.append(write_case("rf32", rf, [[rng.normal(size=(n, 32)).astype(np.float32)] for n in sizes]))
    cases.append(write_case("logreg", lr, [[rng.normal(size=(n, 4)).astype(np.float32)] for n in [5, 64, 1, 0, 250]]))
    cases.append(write_case("logreg_zipmap", lrz, [[rng.normal(size=(n, 4)).astype(np.float32)] for n in [3, 40, 17]]))
    words = ["alpha", "", "héllo wörld", "a,b\"c", "日本語", "x" * 300]
    cases.append(write_case("strings", st, [
        [np.array([words[(i + j) % len(words)] for j in range(n)], dtype=object),
         rng.normal(size=(n, 2)).astype(np.float32)] for i, n in enumerate([1, 6, 0, 13])]))
    cases.append(write_case("mixed", mx, [
        [rng.normal(size=(n, 3)).astype(np.float32), rng.integers(-5, 5, size=(n, 1)).astype(np.int64)]
        for n in [2, 9, 100]]))
    with open(os.path.join(STREAMS, "manifest.json"), "w") as f:
        json.dump(cases, f, indent=1)

    # Text formats: the same rows as NDJSON and CSV, with onnxruntime's outputs.
    x = rng.normal(size=(300, 32)).astype(np.float32)
    x[0, :3] = [1e-7, -0.0, 123456.79]
    ndjson = ['{"id":%d,"features":[%s],"note":"row %d"}\n' % (i, ",".join(number_text(v) for v in row), i)
              for i, row in enumerate(x)]
    text_case("rf32.ndjson", rf, ndjson, {"X": x}, ["label", "probabilities"])
    header = "id," + ",".join(f"f{j}" for j in range(32)) + ",note\n"
    csv_rows = ['%d,%s,"row, %d"\n' % (i, ",".join(number_text(v) for v in row), i) for i, row in enumerate(x)]
    text_case("rf32.csv", rf, [header] + csv_rows, {"X": x}, ["label", "probabilities"])
    z = rng.normal(size=(50, 4)).astype(np.float32)
    text_case("logreg_zipmap.ndjson", lrz, ['{"X":[%s]}\n' % ",".join(number_text(v) for v in row) for row in z],
              {"X": z}, ["output_label", "output_probability"])
    lines, _ = log_lines(rng, 200)
    lines[3] = "ERROR \"quoted\" \\ back\tslash ünïcode"
    text_case("text.lines", text, [line + "\n" for line in lines],
              {"text": np.array(lines, dtype=object).reshape(-1, 1)}, ["label", "probabilities"])

    # The bundled example for `make demo`: the logistic regression over 8 rows.
    os.makedirs(os.path.join(EXAMPLES, "iris"), exist_ok=True)
    onnx.save(onnx.load(lr), os.path.join(EXAMPLES, "iris", "classifier.onnx"))
    demo = np.round(rng.normal(size=(8, 4)), 2).astype(np.float32)
    with open(os.path.join(EXAMPLES, "iris", "rows.bin"), "wb") as f:
        f.write(frame(encode([demo[:5]], ["float32"])) + frame(encode([demo[5:]], ["float32"])))
    iris_arrow(os.path.join(EXAMPLES, "iris"))
    print("wrote", len(cases), "cases", file=sys.stderr)


def iris_arrow(directory):
    """examples/iris/rows.arrows: rows.ndjson as an Arrow IPC stream (id, measurements as FixedSizeList<float32>[4])."""
    import json

    import pyarrow as pa

    records = [json.loads(line) for line in open(os.path.join(directory, "rows.ndjson"))]
    values = pa.array([v for r in records for v in r["measurements"]], pa.float32())
    table = pa.table({"id": pa.array([r["id"] for r in records], pa.int64()),
                      "measurements": pa.FixedSizeListArray.from_arrays(values, 4)})
    with pa.ipc.new_stream(os.path.join(directory, "rows.arrows"), table.schema) as writer:
        for batch in table.to_batches(max_chunksize=5):
            writer.write_batch(batch)


if __name__ == "__main__":
    main()
