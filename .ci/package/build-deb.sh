#!/bin/sh
# make deb: builds onnxpipe_VERSION_ARCH.deb with dpkg-deb from the release
# binary (`make build`: Swift's runtime linked in, stripped), then runs lintian
# on it. Debian's packaging tools only (dpkg-dev, fakeroot not needed:
# --root-owner-group); Depends is computed by dpkg-shlibdeps from the binary.
# Usage: build-deb.sh [OUTDIR]   (default .build/deb); prints the .deb's path last.
set -eu
cd "$(dirname "$0")/../.."
BIN=.build/release/onnxpipe
OUT=${1:-.build/deb}
umask 022
# Whoever publishes the package sets their own name and address (DEB_MAINTAINER).
maintainer=${DEB_MAINTAINER:-onnxpipe maintainers <onnxpipe@example.org>}

version=$("$BIN" --version | sed -n '1s/^onnxpipe //p')
arch=$(dpkg --print-architecture)
case $version in
  [0-9]*.[0-9]*) ;;
  *) echo "build-deb: cannot read the version from '$BIN --version'" >&2; exit 1 ;;
esac
# The staging tree sits where dpkg-shlibdeps expects a package's files: debian/PACKAGE.
root=$OUT/debian/onnxpipe
rm -rf "$OUT/debian" "$OUT"/onnxpipe_*.deb
mkdir -p "$root/DEBIAN"

# What `make install` installs, at Debian's places.
make --no-print-directory install DESTDIR="$PWD/$root" PREFIX=/usr \
  ZSH_COMPLETION_DIR=/usr/share/zsh/vendor-completions >/dev/null
gzip -9n "$root/usr/share/man/man1/onnxpipe.1"
# `-Xlinker -s` strips symbols; the compiler's .comment section stays (lintian: binary-has-unneeded-section).
objcopy --remove-section=.comment "$root/usr/bin/onnxpipe"

doc=$root/usr/share/doc/onnxpipe
mkdir -p "$doc"
cp .ci/package/copyright "$doc/copyright"
gzip -9nc README.md > "$doc/README.md.gz"
# The examples as the repository has them; nothing under /usr/share/doc is executable.
cp -r examples "$doc/examples"
find "$doc/examples" -type f -exec chmod 644 {} + -o -type d -exec chmod 755 {} +
find "$doc/examples" -name __pycache__ -prune -exec rm -rf {} +
date=$(git log -1 --format=%aD 2>/dev/null || date -R)
cat > "$OUT/changelog" <<CHANGES
onnxpipe ($version) unstable; urgency=medium

  * Built from the onnxpipe repository ($(git rev-parse --short HEAD 2>/dev/null || echo unknown)).
    See /usr/share/doc/onnxpipe/README.md.gz.

 -- $maintainer  $date
CHANGES
gzip -9nc "$OUT/changelog" > "$doc/changelog.gz"
mkdir -p "$root/usr/share/lintian/overrides"
cp .ci/package/lintian-overrides "$root/usr/share/lintian/overrides/onnxpipe"

# Depends: the packages of the shared libraries the binary links (dpkg-shlibdeps
# reads their shlibs/symbols files), so it names ONNX Runtime's library package.
printf 'Source: onnxpipe\n\nPackage: onnxpipe\nArchitecture: any\n' > "$OUT/debian/control"
# (Its warning about the diversions that a merged /usr makes for the dynamic loader is noise here;
# the case below checks that the result names ONNX Runtime's package.)
depends=$(cd "$OUT" && dpkg-shlibdeps -O -e debian/onnxpipe/usr/bin/onnxpipe 2> shlibdeps.log \
  | sed -n 's/^shlibs:Depends=//p')
grep -v -e 'diversions involved' -e '^ diversion by libc6' "$OUT/shlibdeps.log" >&2 || true
case $depends in
  *libonnxruntime*) ;;
  *) echo "build-deb: dpkg-shlibdeps found no ONNX Runtime package in: $depends" >&2; exit 1 ;;
esac

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: onnxpipe
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Suggests: jq
Section: utils
Priority: optional
Description: score record streams with an ONNX model, as a Unix filter
 onnxpipe reads records on standard input or from files (raw tensor frames,
 Apache Arrow IPC streams, NDJSON, CSV or lines of text), runs an ONNX model
 on them in batches on a pool of worker threads through ONNX Runtime, and
 writes one output record per input record to standard output, in input
 order, in memory that does not grow with the stream.
 .
 It fits between a producer and a consumer in a shell pipeline, a cron job,
 Spark's RDD.pipe or a log shipper. Completions for bash, zsh and fish and
 examples are included.
CONTROL
(cd "$root" && find usr -type f | LC_ALL=C sort | xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

deb=$OUT/onnxpipe_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
