#!/bin/sh
# make demo: score the bundled iris-style classifier over two frames of rows.
set -eu
BIN=${1:-.build/release/onnxpipe}
cd "$(dirname "$0")/.."
echo "== onnxpipe inspect examples/iris/classifier.onnx"
"$BIN" inspect examples/iris/classifier.onnx
echo
echo "== onnxpipe examples/iris/classifier.onnx < examples/iris/rows.bin | python3 examples/iris/show.py"
"$BIN" examples/iris/classifier.onnx < examples/iris/rows.bin | python3 examples/iris/show.py
echo
echo "== onnxpipe --in ndjson --input X=measurements --keep examples/iris/classifier.onnx < examples/iris/rows.ndjson"
"$BIN" --in ndjson --input X=measurements --keep examples/iris/classifier.onnx < examples/iris/rows.ndjson
echo
echo "== onnxpipe --in lines --keep examples/logs/classifier.onnx < examples/logs/app.log   (1 = looks like an error)"
"$BIN" --in lines --keep examples/logs/classifier.onnx < examples/logs/app.log
