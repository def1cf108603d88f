#!/bin/sh
# Installs what `make deb` and `make test-package` need, from Debian's archive:
# dpkg-dev (dpkg-shlibdeps), binutils (objcopy), lintian, and mmdebstrap (a
# clean root for the install test). Idempotent: does nothing when all is present.
set -eu
missing=""
command -v dpkg-shlibdeps >/dev/null 2>&1 || missing="$missing dpkg-dev"
command -v objcopy >/dev/null 2>&1 || missing="$missing binutils"
command -v lintian >/dev/null 2>&1 || missing="$missing lintian"
command -v mmdebstrap >/dev/null 2>&1 || missing="$missing mmdebstrap"
[ -n "$missing" ] || exit 0
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "package deps: need root or sudo to install:$missing" >&2; exit 1
  fi
fi
echo "package deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $missing >/dev/null
