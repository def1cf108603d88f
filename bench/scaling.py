"""Scaling and latency measurements for the benchmark report."""
import json
import os
import select
import struct
import subprocess
import threading
import time

import numpy as np


def by_workers(binary, model, data, rows, cores):
    """onnxpipe rows/s for -j 1 .. 2 x cores on the same raw frames."""
    points = []
    for workers in range(1, 2 * cores + 1):
        start = time.perf_counter()
        subprocess.run(f"cat {data} | {binary} -j {workers} {model} > /dev/null", shell=True, check=True)
        points.append((workers, rows / (time.perf_counter() - start)))
    return points


def by_batch(binary, model, tmp, rows, features, cores, sizes):
    """rows/s against rows per frame: onnxpipe through a pipe and the C API on the same rows."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(rows, features)).astype("<f4")
    piped, limit = [], []
    for size in sizes:
        path = os.path.join(tmp, f"frames-{size}.bin")
        with open(path, "wb") as f:
            for start in range(0, rows, size):
                chunk = x[start:start + size]
                f.write(struct.pack("<I", chunk.nbytes))
                f.write(chunk.tobytes())
        start = time.perf_counter()
        subprocess.run(f"cat {path} | {binary} -j {cores} {model} > /dev/null", shell=True, check=True)
        piped.append((size, rows / (time.perf_counter() - start)))
        text = subprocess.run(
            [binary, "bench", "-j", str(cores), "--rows", str(rows), "--batch", str(size), "--sample", path,
             "--json", model], check=True, capture_output=True, text=True).stdout
        limit.append((size, json.loads(text)["rows_per_s"]))
        os.remove(path)
    return {"onnxpipe": piped, "C API limit": limit}


def paced_latency(binary, model, rate, seconds, features=4, max_delay=5):
    """Sends NDJSON records at `rate` per second; returns p50 and p99 of the time from a
    record being written to its scored line being read, in milliseconds."""
    process = subprocess.Popen(
        [binary, "--in", "ndjson", "--keep", "--max-delay", str(max_delay), model],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    count = int(rate * seconds)
    sent = {}
    latencies = []

    def reader():
        pending = b""
        while len(latencies) < count:
            ready, _, _ = select.select([process.stdout], [], [], 5)
            if not ready:
                return
            chunk = os.read(process.stdout.fileno(), 1 << 16)
            if not chunk:
                return
            now = time.perf_counter()
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                latencies.append(now - sent[json.loads(line)["n"]])

    row = ",".join(["0.5"] * features)
    # Warm up: wait until the model is loaded and one record has come back, so
    # start-up is not counted as latency.
    process.stdin.write(b'{"n":-1,"X":[%s]}\n' % row.encode())
    select.select([process.stdout], [], [], 30)
    warm = b""
    while not warm.endswith(b"\n"):
        warm += os.read(process.stdout.fileno(), 1 << 16)
    thread = threading.Thread(target=reader)
    thread.start()
    start = time.perf_counter()
    for n in range(count):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sent[n] = time.perf_counter()
        process.stdin.write(b'{"n":%d,"X":[%s]}\n' % (n, row.encode()))
    process.stdin.close()
    thread.join()
    process.wait()
    values = sorted(latencies)
    if not values:
        return None
    return {"rate": rate, "records": len(values), "p50_ms": 1000 * values[len(values) // 2],
            "p99_ms": 1000 * values[min(len(values) - 1, int(len(values) * 0.99))]}
