#!/usr/bin/env python3
# Stands for: a pyarrow job scoring an Arrow IPC stream batch by batch with onnxruntime, writing Arrow back.
import sys

import numpy as np
import onnxruntime as ort
import pyarrow as pa

session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
inp = session.get_inputs()[0]
outputs = [o.name for o in session.get_outputs() if o.type.startswith("tensor")]
reader = pa.ipc.open_stream(sys.stdin.buffer)
writer = None
for batch in reader:
    column = batch.column(inp.name)
    x = column.flatten().to_numpy().reshape(len(column), -1)
    results = session.run(outputs, {inp.name: x})
    arrays = [
        pa.array(r) if r.ndim == 1 else pa.FixedSizeListArray.from_arrays(pa.array(r.ravel()), r.shape[1])
        for r in results
    ]
    scored = pa.record_batch(arrays, names=outputs)
    if writer is None:
        writer = pa.ipc.new_stream(sys.stdout.buffer, scored.schema)
    writer.write_batch(scored)
if writer is not None:
    writer.close()
