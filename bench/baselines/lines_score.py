#!/usr/bin/env python3
# Stands for: the Python log-line scorer - read lines, 1024-line batches, onnxruntime on a string tensor,
# json.dumps of the line and its outputs.
import json
import sys

import numpy as np
import onnxruntime as ort

session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
outputs = [o.name for o in session.get_outputs() if o.type.startswith("tensor")]
out = sys.stdout


def flush(lines):
    results = session.run(outputs, {name: np.array(lines, dtype=object).reshape(-1, 1)})
    for i, line in enumerate(lines):
        record = {"line": line}
        record.update({n: r[i].tolist() for n, r in zip(outputs, results)})
        out.write(json.dumps(record) + "\n")


batch = []
for line in sys.stdin:
    batch.append(line.rstrip("\n"))
    if len(batch) == 1024:
        flush(batch)
        batch = []
if batch:
    flush(batch)
