#!/bin/bash
# Interleaved A/B of onnxpipe builds on one input: each round runs every build once, in turn,
# so that the machine's drift falls on all of them alike; prints each build's median wall time
# and CPU time (the whole pipeline's, `cat` included) over the rounds.
#
#   bench/ab.sh ROUNDS INPUT "ARGUMENTS" BINARY...
#   bench/ab.sh 8 bench/results/tmp/logreg-20000000.bin "-j 2 Tests/Fixtures/models/logreg.onnx" /tmp/old .build/release/onnxpipe
#
# Output goes to tmpfs (/dev/shm) when there is one, as `make bench` does.
set -eu
if [ $# -lt 4 ]; then
  echo "usage: $0 ROUNDS INPUT \"ARGUMENTS\" BINARY..." >&2
  exit 64
fi
rounds=$1 input=$2 arguments=$3
shift 3
out=/dev/shm/onnxpipe-ab-$$.out
[ -w /dev/shm ] || out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq 1 "$rounds"); do
  for binary in "$@"; do
    /usr/bin/time -f "%e %U %S $binary" sh -c "cat '$input' | '$binary' $arguments > '$out'" 2>&1 | tail -1
  done
done | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    wall, user, system, binary = line.split(maxsplit=3)
    runs.setdefault(binary.strip(), []).append((float(wall), float(user) + float(system)))
for binary, times in runs.items():
    print(f"{binary}: wall {statistics.median(t[0] for t in times):.3f} s, "
          f"CPU {statistics.median(t[1] for t in times):.3f} s (median of {len(times)})")'
