#!/bin/sh
# What `make test-chdb` needs beyond `make deps`: chDB (ClickHouse as a Python
# module, about 530 MB) in the project's .venv, at the version pinned in
# Tests/ClickHouse/requirements.txt. Idempotent.
set -eu
cd "$(dirname "$0")/.."
want=$(sed -n 's/^chdb==//p' Tests/ClickHouse/requirements.txt)
if [ "$(.venv/bin/python -c 'import chdb; print(chdb.__version__)' 2>/dev/null)" != "$want" ]; then
  echo "chdb-deps: installing Tests/ClickHouse/requirements.txt into .venv" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -r Tests/ClickHouse/requirements.txt
fi
