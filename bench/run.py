#!/usr/bin/env python3
"""onnxpipe's benchmark: systems side by side in one run, on the same input.

    make bench-quick    (python3 bench/run.py --binary .build/release/onnxpipe --quick)

Writes bench/results/<date>-<host>.json and .md, and prints the Markdown.
Every system's predictions are checked against onnxpipe's before any speed
is reported. Wall time covers the whole process (start-up and model load
included); the C-API limit is `onnxpipe bench --sample`, the model alone on
the same rows in a tight loop with the same threads.
"""
import argparse
import atexit
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import charts  # noqa: E402
import scaling  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TMP = os.path.join(HERE, "results", "tmp")
# Every system's output goes to memory (tmpfs) when the machine has it: written to disk, the
# hundreds of MB a run writes meet the writeback of the run before (logreg through a pipe into
# /tmp on ext4 took 0.80 s against 0.51 s into /dev/null and 0.57 s into /dev/shm).
OUT = os.path.join("/dev/shm", f"onnxpipe-bench-{os.getpid()}") if os.access("/dev/shm", os.W_OK) else TMP
# A system that only moves the bytes (no model, no check of its output): the input through a
# pipe, and an output file of onnxpipe's size; what they cost any filter.
PIPE_ALONE = "bytes alone (cat into cat; dd)"
MODELS = os.path.join(ROOT, "Tests", "Fixtures", "models")
# name, model file, features, classes, rows per quick run, what it stands for
WORKLOADS = [
    ("rf32", "rf32.onnx", 32, 2, 1_000_000, "50-tree random forest on 32 float features"),
    ("logreg", "logreg.onnx", 4, 3, 5_000_000, "logistic regression on 4 features: overhead-bound"),
    ("mlp512", "mlp512.onnx", 32, 2, 50_000, "MLP with two 512-wide layers: compute-bound"),
    ("rf32-small", "rf32.onnx", 32, 2, 10_000, "the random forest on a short stream: start-up dominates"),
]
PY = sys.executable


def generate(path, rows, features, frame_rows=4096, seed=1):
    if os.path.exists(path) and os.path.getsize(path) == rows * features * 4 + 4 * -(-rows // frame_rows):
        return
    rng = np.random.default_rng(seed)
    with open(path, "wb") as f:
        for start in range(0, rows, frame_rows):
            chunk = rng.normal(size=(min(frame_rows, rows - start), features)).astype("<f4")
            f.write(struct.pack("<I", chunk.nbytes))
            f.write(chunk.tobytes())


def timed(shell_command, out_path):
    """Runs `shell_command` (whose measured process is wrapped by /usr/bin/time); returns seconds, peak KiB, CPU s.

    The seconds are the whole command's, read here to the microsecond: /usr/bin/time counts
    wall time in hundredths, a tenth of a 0.13 s parse-bound run, so medians of three jumped
    by as much between runs of one build. The command's own start (bash, `cat`) adds a few
    milliseconds to every system alike."""
    stats = os.path.join(TMP, "time.txt")
    command = shell_command.format(time=f"/usr/bin/time -f '%e %M %U %S' -o {stats}", out=out_path)
    start = time.perf_counter()
    subprocess.run(["bash", "-o", "pipefail", "-c", command], check=True)
    wall = time.perf_counter() - start
    _, rss, user, system = open(stats).read().split()[-4:]
    return wall, int(rss), float(user) + float(system)


def frames(path):
    data = open(path, "rb").read()
    i, out = 0, []
    while i < len(data):
        (n,) = struct.unpack_from("<I", data, i)
        out.append(data[i + 4 : i + 4 + n])
        i += 4 + n
    return out


def labels_agree(a_labels, b_labels, probabilities):
    """Labels equal, except where a row's two best classes are within 1e-5 of each other.

    Two ONNX Runtime releases sum a forest's trees in different orders, so such a row
    (0.49999988 against 0.5000001) may get either label; any other difference is real."""
    differ = np.asarray(a_labels) != np.asarray(b_labels)
    if not differ.any():
        return True
    top = np.sort(np.asarray(probabilities)[differ], axis=1)
    return not np.any(top[:, -1] - top[:, -2] > 1e-5)


def same_predictions(a_path, b_path, classes=2):
    a, b = frames(a_path), frames(b_path)
    if len(a) != len(b):
        return f"{len(a)} vs {len(b)} frames"
    for index, (x, y) in enumerate(zip(a, b)):
        if len(x) != len(y):
            return f"frame {index + 1}: {len(x)} vs {len(y)} bytes"
        rows = len(x) // (8 + 4 * classes)
        p, q = np.frombuffer(x, "<f4", offset=8 * rows), np.frombuffer(y, "<f4", offset=8 * rows)
        if not labels_agree(np.frombuffer(x, "<i8", rows), np.frombuffer(y, "<i8", rows), p.reshape(rows, classes)):
            return f"frame {index + 1}: labels differ"
        if np.max(np.abs(p - q), initial=0) > 1e-5:
            return f"frame {index + 1}: probabilities differ by {np.max(np.abs(p - q))}"
    return None


def run_systems(systems, runs, rows, data, prefix, compare, limit=None):
    """Runs every system once per round, `runs` rounds (interleaved, so drift on a shared
    machine hits all alike); checks each against onnxpipe's output with `compare`.
    `limit`, when given, is called once per round too and returns a rows/s figure."""
    timings = {system: [] for system in systems}
    limits = []
    os.makedirs(OUT, exist_ok=True)
    for _ in range(runs):
        for system, command in systems.items():
            timings[system].append(timed(command, os.path.join(OUT, f"{prefix}-{system.split()[0]}.out")))
            if system == "onnxpipe" and limit:
                limits.append(limit())
    results = {}
    for system in systems:
        if system not in ("onnxpipe", PIPE_ALONE):
            mismatch = compare(os.path.join(OUT, f"{prefix}-onnxpipe.out"),
                               os.path.join(OUT, f"{prefix}-{system.split()[0]}.out"))
            if mismatch:
                sys.exit(f"bench: {system} disagrees with onnxpipe on {prefix}: {mismatch}")
        walls = [t[0] for t in timings[system]]
        results[system] = {
            "rows_per_s": rows / statistics.median(walls),
            "rows_per_s_min": rows / max(walls),
            "rows_per_s_max": rows / min(walls),
            "peak_rss_mb": max(t[1] for t in timings[system]) / 1024,
            "cpu_s": statistics.median(t[2] for t in timings[system]),
            "mb_in_per_s": os.path.getsize(data) / 1e6 / statistics.median(walls),
        }
    if limits:
        results["C API limit"] = {
            "rows_per_s": statistics.median(limits), "rows_per_s_min": min(limits), "rows_per_s_max": max(limits),
        }
    return results


def c_api_rate(binary, workers, model, data, rows, batch):
    """`onnxpipe bench --sample`: the model alone through the C API on the first `rows` rows of `data`
    (raw frames), `batch` rows per run, `workers` threads; rows/s."""
    text = subprocess.run(
        [binary, "bench", "-j", str(workers), "--rows", str(rows), "--batch", str(batch), "--sample", data, "--json",
         model], check=True, capture_output=True, text=True).stdout
    return json.loads(text)["rows_per_s"]


def best_rows_per_run(binary, workers, model, data, rows, sizes=(256, 512, 1024, 4096, 16384, 65536)):
    """The rows per run at which the C API is fastest on these rows: each size on up to 262144 of them,
    twice, interleaved (the best of the two counts, so noise cannot make a size look worse than it is)."""
    sample = min(rows, 262_144)
    sizes = [size for size in sizes if size <= sample]
    rates = {size: 0.0 for size in sizes}
    for _ in range(2):
        for size in sizes:
            rates[size] = max(rates[size], c_api_rate(binary, workers, model, data, sample, size))
    return max(sizes, key=lambda size: rates[size]), rates


def measure(binary, workers, runs, name, model_file, features, classes, rows):
    """One workload: every system on the same generated rows. Returns the results by system.

    The C-API limit is the model alone on the same rows at the rows per run where it is fastest
    (`best_rows_per_run`), whatever onnxpipe runs them at."""
    model = os.path.join(MODELS, model_file)
    data = os.path.join(TMP, f"{name}-{rows}.bin")
    generate(data, rows, features)
    systems = {
        "onnxpipe": f"cat {data} | {{time}} {binary} -j {workers} {model} > {{out}}",
        "python-stream": f"cat {data} | {{time}} {PY} {HERE}/baselines/stream_score.py {model} > {{out}}",
        "python-pool (seed)": f"cat {data} | {{time}} {PY} {HERE}/baselines/pool_score.py {model} > {{out}}",
        # The input through a pipe, and a file of onnxpipe's output size written 256 KiB at a
        # time (onnxpipe's --write-buffer) from memory.
        PIPE_ALONE: f"{{time}} sh -c 'cat {data} | cat > /dev/null && dd if=/dev/zero of={{out}} bs=256K "
                    f"count=$(stat -c %s {os.path.join(OUT, name + '-onnxpipe.out')}) iflag=count_bytes status=none'",
    }
    best, rates = best_rows_per_run(binary, workers, model, data, rows)

    def limit():
        return c_api_rate(binary, workers, model, data, rows, best)

    results = run_systems(
        systems, runs, rows, data, name, lambda a, b: same_predictions(a, b, classes), limit=limit)
    results["C API limit"]["rows_per_run"] = best
    results["C API limit"]["rows_per_s_by_rows_per_run"] = {str(size): rate for size, rate in rates.items()}
    return data, results


def generate_text(path, rows, features, kind, seed=2, digits=None):
    """Rows as NDJSON ({"X": [...]}) or CSV (f0..fN header), floats as Python prints them
    (`digits`: that many digits after the point instead, as `%.6f` prints them)."""
    if os.path.exists(path):
        return
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype(np.float32)
    spell = repr if digits is None else (lambda v: f"{v:.{digits}f}")
    with open(path, "w") as f:
        if kind == "csv":
            f.write(",".join(f"f{j}" for j in range(features)) + "\n")
        for row in x:
            values = ",".join(spell(float(v)) for v in row)
            f.write(values + "\n" if kind == "csv" else '{"X":[' + values + "]}\n")


def same_text_predictions(a_path, b_path, kind):
    """Compares two NDJSON or CSV outputs (label, then probabilities): numbers within 1e-5,
    labels exactly but for near-ties (`labels_agree`)."""
    def rows(path):
        lines = open(path).read().splitlines()
        if kind == "csv":
            return [[float(v) for v in line.split(",")] for line in lines[1:]]
        objects = [json.loads(line) for line in lines]
        return [[v for key, value in o.items() if key != "line" for v in np.ravel(value)] for o in objects]
    a, b = rows(a_path), rows(b_path)
    if len(a) != len(b):
        return f"{len(a)} vs {len(b)} records"
    for index, (x, y) in enumerate(zip(a, b)):
        if len(x) != len(y) or max((abs(p - q) for p, q in zip(x[1:], y[1:])), default=0) > 1e-5:
            return f"record {index + 1}: {x} vs {y}"
        if x[0] != y[0] and (len(x) < 3 or not labels_agree([x[0]], [y[0]], [x[1:]])):
            return f"record {index + 1}: {x} vs {y}"
    return None


WORDS = ["GET", "200", "OK", "index.html", "served", "cache", "hit", "user", "login", "success",
         "ERROR", "500", "timeout", "failed", "exception", "database", "refused", "crash", "panic", "denied"]


def measure_lines(binary, workers, runs, rows):
    """The TF-IDF text classifier over log lines: onnxpipe --in lines --keep against the Python scorer."""
    model = os.path.join(MODELS, "text_clf.onnx")
    data = os.path.join(TMP, f"log-{rows}.lines")
    if not os.path.exists(data):
        rng = np.random.default_rng(3)
        with open(data, "w") as f:
            for _ in range(rows):
                f.write(" ".join(rng.choice(WORDS, size=8)) + "\n")
    systems = {
        "onnxpipe": f"cat {data} | {{time}} {binary} --in lines --keep -j {workers} {model} > {{out}}",
        "python-lines": f"cat {data} | {{time}} {PY} {HERE}/baselines/lines_score.py {model} > {{out}}",
    }
    return data, run_systems(
        systems, runs, rows, data, "text-lines", lambda a, b: same_text_predictions(a, b, "ndjson"))


def measure_text(binary, workers, runs, kind, rows):
    """rf32 over NDJSON or CSV text: onnxpipe against the Python script for that format."""
    model = os.path.join(MODELS, "rf32.onnx")
    data = os.path.join(TMP, f"rf32-{rows}.{kind}")
    generate_text(data, rows, 32, kind)
    flags = "--in ndjson" if kind == "ndjson" else "--format csv"
    systems = {
        "onnxpipe": f"cat {data} | {{time}} {binary} {flags} -j {workers} {model} > {{out}}",
        f"python-{kind}": f"cat {data} | {{time}} {PY} {HERE}/baselines/{kind}_score.py {model} > {{out}}",
    }
    if kind == "ndjson" and shutil.which("parallel"):
        # GNU parallel splits at newlines and keeps order; each job is a Python scorer.
        systems["gnu-parallel"] = (
            f"cat {data} | {{time}} parallel --will-cite --pipe --keep-order -j {workers} --block 4M "
            f"{PY} {HERE}/baselines/ndjson_score.py {model} > {{out}}")
    results = run_systems(
        systems, runs, rows, data, f"text-{kind}", lambda a, b: same_text_predictions(a, b, kind))
    return data, results


def near_free_model(path=None):
    """ReduceSum over 32 float inputs (`X` -> `sum`): the model costs nothing next to the text around it,
    so what is measured is reading, parsing, batching and writing. Made with the onnx package."""
    path = path or os.path.join(TMP, "sum32.onnx")
    if os.path.exists(path):
        return path
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("ReduceSum", ["X", "axes"], ["sum"], keepdims=0)], "sum32",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 32])],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["N"])],
        initializer=[helper.make_tensor("axes", TensorProto.INT64, [1], [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="onnxpipe-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def near_free_string_model(path=None):
    """Identity over one string per row (`line` -> `copy`): the near-free model for `--in lines`."""
    path = path or os.path.join(TMP, "line-identity.onnx")
    if os.path.exists(path):
        return path
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["line"], ["copy"])], "line_identity",
        [helper.make_tensor_value_info("line", TensorProto.STRING, ["N", 1])],
        [helper.make_tensor_value_info("copy", TensorProto.STRING, ["N", 1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="onnxpipe-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def same_sums(a_path, b_path, kind):
    """Two NDJSON or CSV outputs of the near-free model: the same count, sums within 1e-5 relative
    (onnxpipe prints float32's shortest text, Python the float64 of it; ONNX Runtime releases may
    add in another order)."""
    def sums(path):
        lines = open(path).read().splitlines()
        if kind == "csv":
            return np.array([float(line) for line in lines[1:]])
        return np.array([json.loads(line)["sum"] for line in lines])
    a, b = sums(a_path), sums(b_path)
    if len(a) != len(b):
        return f"{len(a)} vs {len(b)} records"
    worst = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1), initial=0)
    return f"sums differ by {worst}" if worst > 1e-5 else None


def measure_parse(binary, workers, runs, kind, rows):
    """Parse-bound text: the near-free model over NDJSON or CSV rows of 32 six-digit floats, onnxpipe
    against the Python script for that format (issue 19 asks for 20x)."""
    model = near_free_model()
    data = os.path.join(TMP, f"sum32-{rows}.{kind}")
    generate_text(data, rows, 32, kind, digits=6)
    flags = "--in ndjson" if kind == "ndjson" else "--format csv"
    systems = {
        "onnxpipe": f"cat {data} | {{time}} {binary} {flags} -j {workers} {model} > {{out}}",
        f"python-{kind}": f"cat {data} | {{time}} {PY} {HERE}/baselines/{kind}_score.py {model} > {{out}}",
    }
    results = run_systems(systems, runs, rows, data, f"parse-{kind}", lambda a, b: same_sums(a, b, kind))
    return data, results


def parse_only(binary, runs, rows=200_000):
    """`make bench-parse`: the parse-bound NDJSON and CSV figures alone, with the target."""
    os.makedirs(TMP, exist_ok=True)
    workers = os.cpu_count()
    for kind in ["ndjson", "csv"]:
        data, results = measure_parse(binary, workers, runs, kind, rows)
        ratio = results["onnxpipe"]["rows_per_s"] / results[f"python-{kind}"]["rows_per_s"]
        print(f"\n**Parse-bound {kind.upper()}** (ReduceSum over 32 floats; {rows} rows of 32 six-digit floats, "
              f"{os.path.getsize(data) / 1e6:.0f} MB; median of {runs}): {ratio:.1f}x the Python script "
              f"(target 20x)\n")
        print("\n".join(table(results)))


STAT = re.compile(r"(\w+)=([0-9.]+)")


def stage_run(command):
    """Runs an onnxpipe command line with --stats (its output through a pipe); returns its stats fields."""
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command + " --stats | cat > /dev/null"],
                          check=True, capture_output=True, text=True)
    line = next(l for l in done.stderr.splitlines() if l.startswith("onnxpipe: stats:"))
    return {key: float(value) for key, value in STAT.findall(line)}


def measure_stages(binary, workers, runs, rows):
    """Issue 19 item 5: each serial stage alone. The reader thread (read, split, batch) and the writer
    (reorder, write) time their own CPU (`--stats`: reader_cpu_s, writer_cpu_s); the run's CPU seconds
    over a stage's are the cores at which that stage would cap throughput. Per format, with the
    near-free model and with the bench's model for that format; median of `runs` runs by that ratio."""
    raw = os.path.join(TMP, f"rf32-{rows}.bin")
    generate(raw, rows, 32)
    arrow = os.path.join(TMP, f"rf32-{rows}.arrows")
    generate_arrow(raw, arrow)
    ndjson, csv = os.path.join(TMP, f"sum32-{rows}.ndjson"), os.path.join(TMP, f"sum32-{rows}.csv")
    generate_text(ndjson, rows, 32, "ndjson", digits=6)
    generate_text(csv, rows, 32, "csv", digits=6)
    ndjson17, csv17 = os.path.join(TMP, f"rf32-{rows}.ndjson"), os.path.join(TMP, f"rf32-{rows}.csv")
    generate_text(ndjson17, rows, 32, "ndjson")
    generate_text(csv17, rows, 32, "csv")
    lines = os.path.join(TMP, f"log-{rows}.lines")
    if not os.path.exists(lines):
        rng = np.random.default_rng(3)
        with open(lines, "w") as f:
            for _ in range(rows):
                f.write(" ".join(rng.choice(WORDS, size=8)) + "\n")
    free, free_lines = near_free_model(), near_free_string_model()
    rf32, text_clf = os.path.join(MODELS, "rf32.onnx"), os.path.join(MODELS, "text_clf.onnx")
    cases = [
        ("raw frames", "near-free", raw, f"{binary} -j {workers} {free}"),
        ("raw frames", "rf32", raw, f"{binary} -j {workers} {rf32}"),
        ("Arrow", "near-free", arrow, f"{binary} --in arrow -j {workers} {free}"),
        ("Arrow", "rf32", arrow, f"{binary} --in arrow -j {workers} {rf32}"),
        ("NDJSON, 6 digits", "near-free", ndjson, f"{binary} --in ndjson -j {workers} {free}"),
        ("NDJSON, 17 digits", "near-free", ndjson17, f"{binary} --in ndjson -j {workers} {free}"),
        ("NDJSON, 17 digits", "rf32", ndjson17, f"{binary} --in ndjson -j {workers} {rf32}"),
        ("CSV, 6 digits", "near-free", csv, f"{binary} --format csv -j {workers} {free}"),
        ("CSV, 17 digits", "rf32", csv17, f"{binary} --format csv -j {workers} {rf32}"),
        ("lines", "near-free", lines, f"{binary} --in lines -j {workers} {free_lines}"),
        ("lines", "text_clf", lines, f"{binary} --in lines --keep -j {workers} {text_clf}"),
    ]
    results = []
    for fmt_name, model_name, data, command in cases:
        samples = [stage_run(f"cat {data} | {command}") for _ in range(runs)]
        def median(key):
            return statistics.median(s[key] for s in samples)
        total, reader, writer = median("pipeline_cpu_s"), median("reader_cpu_s"), median("writer_cpu_s")
        results.append({
            "format": fmt_name, "model": model_name, "bytes_in": os.path.getsize(data), "rows": samples[0]["rows"],
            "bytes_out": median("bytes_out"), "pipeline_cpu_s": total, "reader_cpu_s": reader,
            "writer_cpu_s": writer,
            "reader_cores": statistics.median(s["pipeline_cpu_s"] / max(s["reader_cpu_s"], 1e-6) for s in samples),
            "writer_cores": statistics.median(s["pipeline_cpu_s"] / max(s["writer_cpu_s"], 1e-6) for s in samples),
        })
    return results


def stages_table(results):
    lines = [
        "| input | model | reader GB/s | reader records/s | writer GB/s out | run CPU s | reader caps at | "
        "writer caps at |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        reader_rate = r["bytes_in"] / max(r["reader_cpu_s"], 1e-6) / 1e9
        records = r["rows"] / max(r["reader_cpu_s"], 1e-6)
        writer_rate = r["bytes_out"] / max(r["writer_cpu_s"], 1e-6) / 1e9
        lines.append(
            f"| {r['format']} | {r['model']} | {reader_rate:.2f} | {fmt(records)} | {writer_rate:.2f} | "
            f"{r['pipeline_cpu_s']:.3f} | {r['reader_cores']:.0f} cores | {r['writer_cores']:.0f} cores |")
    return lines


def stages_only(binary, runs, rows=200_000):
    """`make bench-stages`: the stage ceilings table alone."""
    os.makedirs(TMP, exist_ok=True)
    results = measure_stages(binary, os.cpu_count(), runs, rows)
    print(f"\n**Serial stages** ({rows} rows per input, `-j {os.cpu_count()}`, median of {runs}; "
          "CPU seconds from `--stats`):\n")
    print("\n".join(stages_table(results)))
    return results


def generate_arrow(raw_path, path):
    """The raw frames' rows as an Arrow IPC stream: one FixedSizeList<float32> batch per frame."""
    import pyarrow as pa

    if os.path.exists(path) and os.path.getmtime(path) >= os.path.getmtime(raw_path):
        return
    batches = []
    for payload in frames(raw_path):
        values = np.frombuffer(payload, "<f4")
        batches.append(pa.record_batch([pa.FixedSizeListArray.from_arrays(pa.array(values), 32)], names=["X"]))
    with pa.ipc.new_stream(path, batches[0].schema) as writer:
        for batch in batches:
            writer.write_batch(batch)


def predictions(path):
    """(labels, probabilities) from raw frames or an Arrow stream of label/probabilities."""
    data = open(path, "rb").read()
    if data[:4] == b"\xff\xff\xff\xff":
        import pyarrow as pa

        table = pa.ipc.open_stream(data).read_all()
        probabilities = table["probabilities"].combine_chunks().flatten().to_numpy()
        return table["label"].to_numpy(), probabilities.reshape(len(table), -1)
    labels, probabilities = [], []
    for payload in frames(path):
        rows = len(payload) // 16
        labels.append(np.frombuffer(payload, "<i8", rows))
        probabilities.append(np.frombuffer(payload, "<f4", offset=8 * rows).reshape(rows, 2))
    return np.concatenate(labels), np.concatenate(probabilities)


def same_arrow_predictions(a_path, b_path):
    (a_labels, a_probabilities), (b_labels, b_probabilities) = predictions(a_path), predictions(b_path)
    if len(a_labels) != len(b_labels) or not labels_agree(a_labels, b_labels, a_probabilities):
        return "labels differ"
    difference = np.max(np.abs(a_probabilities - b_probabilities), initial=0)
    return f"probabilities differ by {difference}" if difference > 1e-5 else None


def measure_arrow(binary, workers, runs, raw_data, rows):
    """rf32 as an Arrow stream of FixedSizeList<float32> batches against the same rows as raw frames."""
    model = os.path.join(MODELS, "rf32.onnx")
    data = os.path.join(TMP, f"rf32-{rows}.arrows")
    generate_arrow(raw_data, data)
    systems = {
        "onnxpipe": f"cat {data} | {{time}} {binary} --in arrow -j {workers} {model} > {{out}}",
        "onnxpipe-raw frames": f"cat {raw_data} | {{time}} {binary} -j {workers} {model} > {{out}}",
        "python-arrow": f"cat {data} | {{time}} {PY} {HERE}/baselines/arrow_score.py {model} > {{out}}",
    }
    return data, run_systems(systems, runs, rows, data, "arrow", same_arrow_predictions)


def measure_fixed(binary, workers, runs, rows):
    """A model whose batch is fixed to 1 (torch.onnx.export without dynamic_axes): onnxpipe on
    4096-row frames, cut into one-row runs, against the C API running one row per call on the same rows."""
    model = os.path.join(ROOT, "Tests", "Fixtures", "compat", "models", "torch_fixed_batch1.onnx")
    data = os.path.join(TMP, f"fixed1-{rows}.bin")
    generate(data, rows, 10)
    def limit():
        text = subprocess.run(
            [binary, "bench", "-j", str(workers), "--rows", str(rows), "--batch", "1", "--sample", data, "--json",
             model], check=True, capture_output=True, text=True).stdout
        return json.loads(text)["rows_per_s"]
    systems = {"onnxpipe": f"cat {data} | {{time}} {binary} -j {workers} {model} > {{out}}"}
    return data, run_systems(systems, runs, rows, data, "fixed1", None, limit=limit)


def write_frames(path, source, sizes, limit=None):
    """Rewrites the rows (the first `limit`) of raw-frame file `source` into frames of `sizes` rows (cycled)."""
    rows = np.concatenate([np.frombuffer(p, "<f4") for p in frames(source)]).reshape(-1, 32)[:limit]
    if os.path.exists(path) and os.path.getmtime(path) >= os.path.getmtime(source):
        return len(rows)
    with open(path, "wb") as f:
        start, index = 0, 0
        while start < len(rows):
            n = min(sizes[index % len(sizes)], len(rows) - start)
            chunk = rows[start:start + n]
            f.write(struct.pack("<I", chunk.nbytes) + chunk.tobytes())
            start, index = start + n, index + 1
    return len(rows)


def measure_adaptive(binary, workers, runs, raw_data, rows):
    """Adaptive batching (--batch-rows): one-row frames and one huge frame on rf32; the MLP's auto choice."""
    rf32 = os.path.join(MODELS, "rf32.onnx")
    compare = lambda a, b: same_predictions(a, b, 2)
    results = {}
    ones_rows = rows // 2  # one run per frame is slow: half the rows keeps the bench short
    ones = os.path.join(TMP, f"rf32-{ones_rows}-ones.bin")
    write_frames(ones, raw_data, [1], limit=ones_rows)
    def limit():
        text = subprocess.run(
            [binary, "bench", "-j", str(workers), "--rows", str(ones_rows), "--batch", "4096", "--json", rf32],
            check=True, capture_output=True, text=True).stdout
        return json.loads(text)["rows_per_s"]
    results["ones"] = run_systems({
        "onnxpipe": f"cat {ones} | {{time}} {binary} -j {workers} {rf32} > {{out}}",
        "onnxpipe --batch-rows off": f"cat {ones} | {{time}} {binary} -j {workers} --batch-rows off {rf32} > {{out}}",
    }, runs, ones_rows, ones, "ones", compare, limit=limit)
    huge = os.path.join(TMP, f"rf32-{rows}-huge.bin")
    write_frames(huge, raw_data, [rows])
    results["huge"] = run_systems({
        "onnxpipe": f"cat {huge} | {{time}} {binary} -j {workers} {rf32} > {{out}}",
        "onnxpipe, 4096-row frames": f"cat {raw_data} | {{time}} {binary} -j {workers} {rf32} > {{out}}",
        "onnxpipe --batch-rows off": f"cat {huge} | {{time}} {binary} -j {workers} --batch-rows off {rf32} > {{out}}",
    }, runs, rows, huge, "huge", same_arrow_predictions)
    mlp = os.path.join(MODELS, "mlp512.onnx")
    mlp_rows = rows // 5
    mlp_data = os.path.join(TMP, f"mlp512-{mlp_rows}.bin")
    generate(mlp_data, mlp_rows, 32)
    choices = os.path.join(TMP, "mlp-auto-stats.txt")
    if os.path.exists(choices):
        os.remove(choices)
    systems = {"onnxpipe": f"cat {mlp_data} | {{time}} {binary} -j {workers} --stats {mlp} > {{out}} 2>> {choices}"}
    for size in [64, 512, 4096]:
        systems[f"onnxpipe --batch-rows {size}"] = (
            f"cat {mlp_data} | {{time}} {binary} -j {workers} --batch-rows {size} {mlp} > {{out}}")
    results["mlp"] = run_systems(systems, runs, mlp_rows, mlp_data, "mlp-rows", compare)
    # What auto chose in each run, from its --stats line (`batch_rows=512(auto)`).
    chosen = re.findall(r" batch_rows=(\S+?)(?:\(auto\))? ", open(choices).read())
    return {"ones": ones, "ones_rows": ones_rows, "huge": huge, "mlp": mlp_data, "mlp_rows": mlp_rows,
            "mlp_choices": chosen}, results


def table(results):
    onnxpipe = results["onnxpipe"]["rows_per_s"]
    lines = [
        "| system | rows/s (min-max) | MB/s in | peak RSS | CPU s | onnxpipe / system |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        rss = f"{r['peak_rss_mb']:.0f} MB" if "peak_rss_mb" in r else "-"
        cpu_s = f"{r['cpu_s']:.2f}" if "cpu_s" in r else "-"
        mbps = f"{r['mb_in_per_s']:.0f}" if "mb_in_per_s" in r else "-"
        ratio = "-" if name == "onnxpipe" else f"{onnxpipe / r['rows_per_s']:.2f}"
        lines.append(
            f"| {name} | {fmt(r['rows_per_s'])} ({fmt(r['rows_per_s_min'])}-{fmt(r['rows_per_s_max'])}) "
            f"| {mbps} | {rss} | {cpu_s} | {ratio} |")
    return lines


def fmt(rate):
    return f"{rate / 1e6:.2f} M" if rate >= 1e6 else f"{rate / 1e3:.0f} k"


def main():
    if OUT != TMP:
        atexit.register(shutil.rmtree, OUT, True)
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "onnxpipe"))
    parser.add_argument("--quick", action="store_true", help="smaller inputs and one run each (under two minutes)")
    parser.add_argument("--runs", type=int, default=None, help="runs per measurement (default: 1 quick, 3 full)")
    parser.add_argument("--fixed-only", action="store_true",
                        help="only the batch-fixed-to-1 model against the C API (prints, writes nothing)")
    parser.add_argument("--text-only", action="store_true",
                        help="only rf32 as NDJSON and CSV against the Python scripts (200000 rows, 3 runs); "
                             "prints the tables, writes no results")
    parser.add_argument("--parse", action="store_true",
                        help="only the parse-bound text figures: the near-free model over NDJSON and CSV against "
                             "the Python scripts (200000 rows, 3 runs); prints, writes nothing")
    parser.add_argument("--stages", action="store_true",
                        help="only the serial stages (reader, writer) per format and the cores at which each "
                             "would cap throughput (200000 rows, 3 runs); prints, writes nothing")
    args = parser.parse_args()
    if args.parse:
        parse_only(os.path.abspath(args.binary), args.runs or 3)
        return
    if args.stages:
        stages_only(os.path.abspath(args.binary), args.runs or 3)
        return
    if args.text_only:
        text_only(os.path.abspath(args.binary), args.runs or 3)
        return
    if args.fixed_only:
        os.makedirs(TMP, exist_ok=True)
        rows = 200_000
        _, results = measure_fixed(os.path.abspath(args.binary), os.cpu_count(), args.runs or 3, rows)
        print(f"\n**fixed-1 model**, {rows} rows in 4096-row frames, median of {args.runs or 3}: "
              f"{results['onnxpipe']['rows_per_s'] / results['C API limit']['rows_per_s']:.2f} of the C API\n")
        print("\n".join(table(results)))
        return
    os.makedirs(TMP, exist_ok=True)
    binary = os.path.abspath(args.binary)
    workers = os.cpu_count()
    scale = 1 if args.quick else 4
    runs = args.runs or (1 if args.quick else 3)
    results_dir = os.path.join(HERE, "results")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    report = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"), "host": socket.gethostname(),
        "cpu": cpu, "cores": workers, "platform": platform.platform(), "runs": runs,
        "command": "make bench-quick" if args.quick else "make bench", "workloads": {},
    }
    lines = [
        f"Machine: {cpu}, {workers} cores. Every system reads its input through a pipe (`cat FILE |`) "
        f"and writes its output to {'memory (tmpfs)' if OUT != TMP else 'a file'}; "
        f"whole-process wall time (start-up included), "
        f"{'one run' if runs == 1 else f'median of {runs} runs (min-max)'}; `-j {workers}` everywhere.",
    ]
    for name, model_file, features, classes, quick_rows, about in WORKLOADS:
        rows = quick_rows * scale
        data, results = measure(binary, workers, runs, name, model_file, features, classes, rows)
        report["workloads"][name] = {"about": about, "rows": rows, "bytes": os.path.getsize(data), "results": results}
        lines += ["", f"**{name}**, raw frames of 4096 rows ({about}; {rows} rows, "
                      f"{os.path.getsize(data) / 1e6:.0f} MB):", ""]
        lines += table(results)
        limit = results["C API limit"]
        ratio = results["onnxpipe"]["rows_per_s"] / limit["rows_per_s"]
        target = {"rf32": " (target: 0.95)", "logreg": " (target: 0.6)"}.get(name, "")
        # No filter does better than the model's CPU time (the limit's threads, busy for the
        # limit's time) plus its bytes' own way through the pipe and into the file (the bytes
        # alone's CPU time), spread over the cores. An estimate: the limit is a median of noisy runs.
        model_cpu = workers * rows / limit["rows_per_s"]
        ceiling = (rows / limit["rows_per_s"]) / ((model_cpu + results[PIPE_ALONE]["cpu_s"]) / workers)
        lines += ["", f"onnxpipe / C-API limit: **{ratio:.2f}**{target}; the limit is `onnxpipe bench --sample` on "
                      f"the same rows at {limit['rows_per_run']} rows per run, the fastest of "
                      + ", ".join(f"{size}: {fmt(rate)}" for size, rate in limit["rows_per_s_by_rows_per_run"].items())
                      + f" rows/s. Ceiling for any pipe filter here, estimated: {min(ceiling, 1):.2f} of the limit (the "
                      f"model's {model_cpu:.2f} CPU s and the bytes alone's {results[PIPE_ALONE]['cpu_s']:.2f} "
                      f"over {workers} cores)."]
        chart(results_dir, name, f"{name}: raw frames, rows/s", results)
        lines += ["", f"![{name}](bench/results/latest-{name}.svg)"]
    rows = report["workloads"]["rf32"]["rows"]
    data, results = measure_arrow(binary, workers, runs, os.path.join(TMP, f"rf32-{rows}.bin"), rows)
    report["workloads"]["rf32-arrow"] = {"rows": rows, "bytes": os.path.getsize(data), "results": results}
    lines += ["", f"**rf32 as Arrow IPC** (the same {rows} rows as FixedSizeList<float32> record batches of 4096 "
                  f"rows, {os.path.getsize(data) / 1e6:.0f} MB; `--in arrow`, Arrow out; *onnxpipe-raw frames* is "
                  "the same rows as raw frames):", ""]
    lines += table(results)
    chart(results_dir, "rf32-arrow", "rf32: Arrow IPC in and out, rows/s", results)
    lines += ["", "![rf32-arrow](bench/results/latest-rf32-arrow.svg)"]
    raw = os.path.join(TMP, f"rf32-{report['workloads']['rf32']['rows']}.bin")
    files, adaptive = measure_adaptive(binary, workers, runs, raw, report["workloads"]["rf32"]["rows"])
    report["workloads"]["adaptive"] = {"results": adaptive, "mlp_choices": files["mlp_choices"]}
    total = report["workloads"]["rf32"]["rows"]
    lines += ["", f"**Adaptive batching** (`--batch-rows auto`, the default). rf32, {files['ones_rows']} of those rows "
                  "as one-row frames: merged into runs of the size auto chooses on the stream, against one run per frame and "
                  "the C API at "
                  "4096 rows per run:", ""]
    lines += table(adaptive["ones"])
    lines += ["", f"rf32, the same rows as **one frame of {total} rows**: cut into slices scored in parallel, "
                  "against 4096-row frames and against one run for the whole frame:", ""]
    lines += table(adaptive["huge"])
    best = max((r["rows_per_s"], name) for name, r in adaptive["mlp"].items() if name != "onnxpipe")
    chosen = ", ".join(files["mlp_choices"])
    lines += ["", f"mlp512 ({files['mlp_rows']} rows in 4096-row frames): auto chose {chosen} rows per run; "
                  f"auto / best fixed ({best[1]}) = {adaptive['mlp']['onnxpipe']['rows_per_s'] / best[0]:.2f}:", ""]
    lines += table(adaptive["mlp"])
    rows = 50_000 * scale
    data, results = measure_fixed(binary, workers, runs, rows)
    report["workloads"]["fixed1"] = {"rows": rows, "bytes": os.path.getsize(data), "results": results}
    ratio = results["onnxpipe"]["rows_per_s"] / results["C API limit"]["rows_per_s"]
    lines += ["", f"**A model with its batch fixed to 1** (`torch.onnx.export` without `dynamic_axes`: a 10-32-3 "
                  f"MLP; {rows} rows in 4096-row frames, run one row at a time) against the C API running one row "
                  f"per call on the same rows, the same workers: {ratio:.2f} of the limit:", ""]
    lines += table(results)
    for kind in ["ndjson", "csv"]:
        rows = 50_000 * scale
        data, results = measure_text(binary, workers, runs, kind, rows)
        report["workloads"][f"rf32-{kind}"] = {"rows": rows, "bytes": os.path.getsize(data), "results": results}
        lines += ["", f"**rf32 as {kind.upper()}** ({rows} rows of 32 floats as Python prints them, "
                      f"{os.path.getsize(data) / 1e6:.0f} MB; batches of 1024 records):", ""]
        lines += table(results)
        chart(results_dir, f"rf32-{kind}", f"rf32: {kind.upper()} in, rows/s", results)
        lines += ["", f"![rf32-{kind}](bench/results/latest-rf32-{kind}.svg)"]
    rows = 50_000 * scale
    data, results = measure_lines(binary, workers, runs, rows)
    report["workloads"]["text-lines"] = {"rows": rows, "bytes": os.path.getsize(data), "results": results}
    lines += ["", f"**Log lines** (TF-IDF + logistic regression text classifier, `--in lines --keep`; {rows} "
                  f"lines, {os.path.getsize(data) / 1e6:.1f} MB):", ""]
    lines += table(results)
    lines += ["", f"onnxpipe / python-lines: **{results['onnxpipe']['rows_per_s'] / results['python-lines']['rows_per_s']:.2f}** "
                  "(target: 6)."]
    chart(results_dir, "text-lines", "text classifier: log lines in, rows/s", results)
    lines += ["", "![text-lines](bench/results/latest-text-lines.svg)"]
    for kind in ["ndjson", "csv"]:
        rows = 50_000 * scale
        data, results = measure_parse(binary, workers, runs, kind, rows)
        report["workloads"][f"parse-{kind}"] = {"rows": rows, "bytes": os.path.getsize(data), "results": results}
        ratio = results["onnxpipe"]["rows_per_s"] / results[f"python-{kind}"]["rows_per_s"]
        lines += ["", f"**Parse-bound {kind.upper()}** (a near-free model, ReduceSum over 32 floats; {rows} rows of 32 "
                      f"six-digit floats, {os.path.getsize(data) / 1e6:.0f} MB): {ratio:.1f}x the Python script, "
                      "target 20x (`make bench-parse`):", ""]
        lines += table(results)
    stages = measure_stages(binary, workers, runs, 50_000 * scale)
    report["stages"] = stages
    lines += ["", "**Serial stages** (`make bench-stages`): the reader's and the writer's own CPU time against the "
                  "run's (`--stats`); the run's CPU seconds over a stage's are the cores at which it would cap "
                  "throughput:", ""]
    lines += stages_table(stages)

    rf32 = os.path.join(MODELS, "rf32.onnx")
    rf32_data = os.path.join(TMP, f"rf32-{report['workloads']['rf32']['rows']}.bin")
    workers_curve = scaling.by_workers(binary, rf32, rf32_data, report["workloads"]["rf32"]["rows"], workers)
    batch_rows = 100_000 * scale
    batch_curves = scaling.by_batch(binary, rf32, TMP, batch_rows, 32, workers, [1, 16, 256, 4096, 65536])
    report["scaling"] = {"workers": workers_curve, "batch": batch_curves}
    charts.line_chart(os.path.join(results_dir, "latest-workers.svg"), "rf32: rows/s against --workers",
                      {"onnxpipe": workers_curve}, "--workers (-j)", mark=workers)
    charts.line_chart(os.path.join(results_dir, "latest-batch.svg"), "rf32: rows/s against rows per frame",
                      batch_curves, "rows per frame (log scale)", log_x=True, mark=4096)
    lines += ["", "**Scaling** (rf32, raw frames): rows/s against `--workers`, and against rows per frame "
                  "next to the C API on the same batches:", "",
              "![workers](bench/results/latest-workers.svg) ![batch](bench/results/latest-batch.svg)"]

    latency = [scaling.paced_latency(binary, os.path.join(MODELS, "logreg.onnx"), rate, 2) for rate in (1000, 10000)]
    report["latency"] = latency
    lines += ["", "**Latency** (logreg, NDJSON records written at a fixed rate, `--max-delay 5`; "
                  "from a record written to its score read):", "",
              "| records/s | records | p50 | p99 |", "|---:|---:|---:|---:|"]
    for point in latency:
        if point:
            lines.append(f"| {point['rate']} | {point['records']} | {point['p50_ms']:.1f} ms | {point['p99_ms']:.1f} ms |")

    # Memory on a long stream: the rf32 rows over and over through a pipe (0.5 GB quick, 4 GB full).
    copies = 4 if args.quick else 8
    wall, rss, _ = timed(
        f"for i in $(seq {copies}); do cat {rf32_data}; done | {{time}} {binary} {rf32} > /dev/null", "")
    report["long_stream"] = {"bytes": copies * os.path.getsize(rf32_data), "seconds": wall, "peak_rss_mb": rss / 1024}
    lines += ["", f"Long stream: rf32, {copies * os.path.getsize(rf32_data) / 1e9:.1f} GB through a pipe in {wall:.1f} s, "
                  f"peak RSS {rss / 1024:.0f} MB (against "
                  f"{report['workloads']['rf32']['results']['onnxpipe']['peak_rss_mb']:.0f} MB "
                  f"for {os.path.getsize(rf32_data) / 1e6:.0f} MB)."]
    markdown = "\n".join(lines) + "\n"
    stem = os.path.join(results_dir, f"{datetime.date.today().isoformat()}-{socket.gethostname()}")
    with open(stem + ".json", "w") as f:
        json.dump(report, f, indent=1)
    with open(stem + ".md", "w") as f:
        f.write(markdown)
    print(markdown)
    update_readme(markdown, report)


def text_only(binary, runs, rows=200_000):
    """The text workloads alone (`make bench-text`): the ratio issue 3 asks for, in a few minutes."""
    os.makedirs(TMP, exist_ok=True)
    workers = os.cpu_count()
    for kind in ["ndjson", "csv"]:
        data, results = measure_text(binary, workers, runs, kind, rows)
        print(f"\n**rf32 as {kind.upper()}** ({rows} rows, {os.path.getsize(data) / 1e6:.0f} MB, "
              f"median of {runs}):\n")
        print("\n".join(table(results)))


def chart(results_dir, name, title, results):
    """A bar chart of rows/s per system, onnxpipe first."""
    bars = [(system, r["rows_per_s"]) for system, r in results.items()]
    charts.bar_chart(os.path.join(results_dir, f"latest-{name}.svg"), title, bars)


def update_readme(markdown, report):
    """Puts the table between the bench markers of README.md, with the command and machine."""
    path = os.path.join(ROOT, "README.md")
    text = open(path).read()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if begin not in text or end not in text:
        return
    body = f"`{report['command']}` on {report['date'][:10]} ({report['platform']}):\n\n" + markdown
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(head + begin + "\n" + body + end + tail)


if __name__ == "__main__":
    main()
