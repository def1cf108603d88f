#!/usr/bin/env python3
# Stands for: the seed approach - load the whole input into numpy, multiprocessing.Pool (a worker per core,
# each with its own session) over 4096-row chunks, results gathered in order, then written.
import os
import sys
from multiprocessing import Pool

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from frames import read_frames, write_frame  # noqa: E402

session = None
outputs = None


def init(model):
    global session, outputs
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs() if o.type.startswith("tensor")]


def score(chunk):
    return session.run(outputs, {session.get_inputs()[0].name: chunk})


if __name__ == "__main__":
    model = sys.argv[1]
    probe = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    features = probe.get_inputs()[0].shape[1]
    del probe
    x = np.concatenate([np.frombuffer(p, "<f4").reshape(-1, features) for p in read_frames(sys.stdin.buffer)])
    chunks = [x[i : i + 4096] for i in range(0, len(x), 4096)]
    with Pool(os.cpu_count(), initializer=init, initargs=(model,)) as pool:
        results = pool.map(score, chunks)
    out = sys.stdout.buffer
    for arrays in results:
        write_frame(out, arrays)
    out.flush()
