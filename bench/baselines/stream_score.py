#!/usr/bin/env python3
# Stands for: the single-process streaming Python scorer (read a frame, onnxruntime.run, write a frame).
import os
import sys

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from frames import read_frames, write_frame  # noqa: E402

session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
inp = session.get_inputs()[0]
features = inp.shape[1]
outputs = [o.name for o in session.get_outputs() if o.type.startswith("tensor")]
out = sys.stdout.buffer
for payload in read_frames(sys.stdin.buffer):
    x = np.frombuffer(payload, "<f4").reshape(-1, features)
    write_frame(out, session.run(outputs, {inp.name: x}))
out.flush()
