#!/bin/sh
# make test-package: installs the .deb with apt in a clean Debian trixie root
# (mmdebstrap, minbase, no Swift) made from the archive this machine's apt
# already uses, so its Depends resolve from the archive, then runs inside.sh
# there. Downloaded packages are kept in $ONNXPIPE_PACKAGE_CACHE between runs.
# Usage: test-package.sh DEB
set -eu
cd "$(dirname "$0")/../.."
deb=$(realpath "$1")
version=$(dpkg-deb --field "$deb" Version)
suite=trixie
cache=${ONNXPIPE_PACKAGE_CACHE:-/var/cache/onnxpipe-test-package}
mkdir -p "$cache/archives"

# The mirror: where this machine's apt gets trixie (make deps adds it for ONNX Runtime), else Debian's main archive.
mirror=$(apt-get indextargets --format '$(REPO_URI)' "Codename: $suite" 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(apt-get indextargets --format '$(REPO_URI)' 'Origin: Debian' 'Label: Debian' 2>/dev/null \
  | grep -v security | head -n 1)
[ -n "$mirror" ] || { echo "test-package: no Debian archive in this machine's apt sources" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/test"
cp "$deb" Tests/Package/inside.sh Tests/Package/examples.tsv "$work/test/"
cp -r Tests/Package/expected "$work/test/expected"
chmod -R a+rX "$work"

started=$(date +%s)
mmdebstrap --quiet --variant=minbase --include=man-db --skip=essential/unlink \
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
  --setup-hook="sync-in $cache/archives /var/cache/apt/archives/" \
  --customize-hook="copy-in $work/test /tmp" \
  --customize-hook="chroot \"\$1\" sh -c 'apt-get install -y -q=2 /tmp/test/$(basename "$deb") \
    > /tmp/test/apt.log 2>&1 || { cat /tmp/test/apt.log; exit 1; }'" \
  --customize-hook="chroot \"\$1\" sh /tmp/test/inside.sh $version" \
  --customize-hook="sync-out /var/cache/apt/archives $cache/archives" \
  "$suite" /dev/null "deb $mirror $suite main"
echo "test-package: $(($(date +%s) - started)) s in a clean $suite root from $mirror"
