#!/bin/bash
# Soak: a long stream generated on the fly through onnxpipe with more workers
# than cores and random per-batch delays, checked byte for byte (SHA-256)
# against a one-worker run, with RSS sampled every half second.
#   Tests/Soak/soak.sh BINARY MEGABYTES
set -euo pipefail
BIN=$1
MB=${2:-2048}
cd "$(dirname "$0")/../.."
MODEL=Tests/Fixtures/models/rf32.onnx
CHUNK=Tests/Fixtures/streams/rf32.in
REPEATS=$(( MB * 1024 * 1024 / $(stat -c %s "$CHUNK") + 1 ))
WORKERS=$(( $(nproc) * 2 ))
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

stream() { for ((i = 0; i < REPEATS; i++)); do cat "$CHUNK"; done; }

stream | "$BIN" -j 1 "$MODEL" | sha256sum > "$TMP/reference"

stream | ONNXPIPE_FAULT_DELAY_US=3000 "$BIN" -j "$WORKERS" --queue-depth 3 --stats "$MODEL" \
  > "$TMP/out" 2> "$TMP/stats" &
PID=$!  # the last command of the pipeline: onnxpipe
MAX_RSS=0
while kill -0 "$PID" 2> /dev/null; do
  RSS=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status" 2> /dev/null || echo 0)
  [ "${RSS:-0}" -gt "$MAX_RSS" ] && MAX_RSS=$RSS
  sleep 0.5
done
wait "$PID"
sha256sum < "$TMP/out" > "$TMP/soaked"

if ! cmp -s "$TMP/reference" "$TMP/soaked"; then
  echo "soak: FAILED: output of -j $WORKERS with delays differs from -j 1" >&2
  exit 1
fi
PEAK=$(grep -o 'peak_rss_kb=[0-9]*' "$TMP/stats" | cut -d= -f2)
echo "soak: $((REPEATS * $(stat -c %s "$CHUNK") / 1048576)) MiB, $WORKERS workers with delays: output identical to -j 1;" \
  "sampled RSS max ${MAX_RSS} KiB, peak ${PEAK} KiB"
if [ "$PEAK" -gt 102400 ]; then
  echo "soak: FAILED: peak RSS ${PEAK} KiB exceeds 100 MiB" >&2
  exit 1
fi
