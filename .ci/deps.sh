#!/bin/sh
# Installs what onnxpipe needs to build and test on a Debian machine:
# libonnxruntime-dev (from trixie on bookworm, pinned low so nothing else
# moves unasked), pkg-config, the en_US.UTF-8 locale that text models'
# StringNormalizer op needs, and the interop tests' Python packages in the
# project's own virtual environment (.venv, never system-wide).
# Idempotent: does nothing when all is present.
set -eu
cd "$(dirname "$0")/.."

if ! .venv/bin/python -c "import numpy, pyarrow, onnxruntime, duckdb, prometheus_client, polars, pandas" 2>/dev/null; then
  echo "deps: installing Tests/Interop/requirements.txt into .venv" >&2
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r Tests/Interop/requirements.txt
fi

need_ort=1
if pkg-config --exists libonnxruntime 2>/dev/null; then need_ort=0; fi
need_locale=1
if locale -a 2>/dev/null | grep -qi '^en_US\.utf-\?8$'; then need_locale=0; fi

need_tools=0
command -v groff >/dev/null 2>&1 || need_tools=1
command -v jq >/dev/null 2>&1 || need_tools=1
command -v zsh >/dev/null 2>&1 || need_tools=1
command -v fish >/dev/null 2>&1 || need_tools=1

if [ "$need_ort" = 0 ] && [ "$need_locale" = 0 ] && [ "$need_tools" = 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "deps: need root or sudo to install libonnxruntime-dev" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive

if [ "$need_ort" = 1 ]; then
  target=""
  $SUDO apt-get update -qq
  if ! apt-cache policy libonnxruntime-dev 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    # Debian 12 has no ONNX Runtime; Debian 13 (trixie) ships 1.21.
    echo "deps: adding the trixie suite (apt pin 100) for libonnxruntime-dev" >&2
    $SUDO sh -c 'cat > /etc/apt/sources.list.d/onnxpipe-trixie.sources' <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    $SUDO sh -c 'cat > /etc/apt/preferences.d/onnxpipe-trixie' <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
    $SUDO apt-get update -qq
    target="-t trixie"
  fi
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq $target libonnxruntime-dev pkg-config >/dev/null
fi

if [ "$need_tools" = 1 ]; then
  # groff lints the man page in `make test`; the man page's examples use jq;
  # the completion tests load the scripts into zsh and fish (bash is always there).
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq groff-base jq zsh fish >/dev/null
fi

if [ "$need_locale" = 1 ]; then
  $SUDO apt-get install -y -qq locales >/dev/null
  $SUDO sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen
  grep -q '^en_US.UTF-8 UTF-8' /etc/locale.gen || echo 'en_US.UTF-8 UTF-8' | $SUDO tee -a /etc/locale.gen >/dev/null
  $SUDO locale-gen >/dev/null
fi
