#!/usr/bin/env python3
# Stands for: the Python NDJSON scorer - json.loads per line, 1024-line batches, onnxruntime, json.dumps per row.
import json
import sys

import numpy as np
import onnxruntime as ort

session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
field = sys.argv[2] if len(sys.argv) > 2 else name
outputs = [o.name for o in session.get_outputs() if o.type.startswith("tensor")]
out = sys.stdout


def flush(rows):
    results = session.run(outputs, {name: np.asarray(rows, dtype=np.float32)})
    for i in range(len(rows)):
        out.write(json.dumps({n: r[i].tolist() for n, r in zip(outputs, results)}) + "\n")


batch = []
for line in sys.stdin:
    batch.append(json.loads(line)[field])
    if len(batch) == 1024:
        flush(batch)
        batch = []
if batch:
    flush(batch)
