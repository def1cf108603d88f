#!/usr/bin/env python3
# Stands for: the Python CSV scorer - csv module, 1024-row batches, onnxruntime, csv.writer.
import csv
import sys

import numpy as np
import onnxruntime as ort

session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
outputs = [o.name for o in session.get_outputs() if o.type.startswith("tensor")]
reader = csv.reader(sys.stdin)
header = next(reader)
writer = csv.writer(sys.stdout, lineterminator="\n")
columns = None


def flush(rows):
    global columns
    results = session.run(outputs, {name: np.asarray(rows, dtype=np.float32)})
    if columns is None:
        columns = []
        for output, r in zip(outputs, results):
            width = int(np.prod(r.shape[1:])) if r.ndim > 1 else 1
            columns += [output] if width == 1 else [f"{output}_{k}" for k in range(width)]
        writer.writerow(columns)
    for i in range(len(rows)):
        fields = []
        for r in results:
            value = r[i]
            fields.extend(value.reshape(-1).tolist() if getattr(value, "ndim", 0) else [value.item()])
        writer.writerow(fields)


batch = []
for row in reader:
    batch.append([float(v) for v in row])
    if len(batch) == 1024:
        flush(batch)
        batch = []
if batch:
    flush(batch)
