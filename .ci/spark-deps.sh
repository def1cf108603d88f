#!/bin/sh
# What `make test-spark` needs beyond `make deps`: a Java runtime (17 or later)
# and pyspark in the project's .venv. Idempotent.
set -eu
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "spark-deps: installing a Java runtime" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi

if ! .venv/bin/python -c "import pyspark, pandas" 2>/dev/null; then
  echo "spark-deps: installing Tests/Spark/requirements.txt into .venv" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -r Tests/Spark/requirements.txt
fi
