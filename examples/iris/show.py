#!/usr/bin/env python3
"""Prints onnxpipe's raw output frames for examples/iris/classifier.onnx as a table.

Standard library only. Each output frame holds N rows: the `label` block
(N int64) then the `probabilities` block (N x 3 float32), little-endian.
"""
import struct
import sys

ROW_BYTES = 8 + 3 * 4
data = sys.stdin.buffer.read()
offset, frame, row = 0, 0, 0
print("frame  row  label  p(0)    p(1)    p(2)")
while offset < len(data):
    (length,) = struct.unpack_from("<I", data, offset)
    payload = data[offset + 4 : offset + 4 + length]
    offset += 4 + length
    frame += 1
    n = length // ROW_BYTES
    labels = struct.unpack_from(f"<{n}q", payload, 0)
    probabilities = struct.unpack_from(f"<{3 * n}f", payload, 8 * n)
    for i in range(n):
        row += 1
        p = probabilities[3 * i : 3 * i + 3]
        print(f"{frame:5d} {row:4d} {labels[i]:6d}  {p[0]:.4f}  {p[1]:.4f}  {p[2]:.4f}")
