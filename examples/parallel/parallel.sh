#!/bin/sh
# GNU parallel over several onnxpipe processes, order kept, on the bundled example.
#   sh examples/parallel/parallel.sh [path/to/onnxpipe]
set -eu
cd "$(dirname "$0")/../.."
ONNXPIPE=${1:-onnxpipe}
command -v parallel >/dev/null 2>&1 || { echo "parallel.sh: GNU parallel is not installed (apt-get install parallel)" >&2; exit 1; }
# Blocks of 1 kB so that the eight example rows land in several jobs.
parallel --will-cite --pipe --keep-order --block 1k -j 2 \
    "$ONNXPIPE" --in ndjson --keep --input X=measurements examples/iris/classifier.onnx < examples/iris/rows.ndjson
