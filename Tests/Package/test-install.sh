#!/bin/sh
# make install and make uninstall into a scratch DESTDIR: what goes where
# under PREFIX, that install runs no set-up step (no apt, no pip, no build),
# and that uninstall leaves nothing behind.
set -eu
cd "$(dirname "$0")/../.."
destdir=$(mktemp -d)
trap 'rm -rf "$destdir"' EXIT
passed=0
failed=0
check() {
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1))
    printf 'FAIL: %s\n--- expected\n%s\n--- got\n%s\n' "$1" "$3" "$2"
  fi
}

check "make install runs no set-up step" \
  "$(make -n install | grep -c -e 'deps.sh' -e 'apt-get' -e 'pip install' -e 'swift build' || true)" 0
make --no-print-directory install DESTDIR="$destdir" PREFIX=/opt/onnxpipe >/dev/null
check "make install's files and modes" "$(cd "$destdir" && find . -type f -printf '%m %p\n' | LC_ALL=C sort)" \
"644 ./opt/onnxpipe/share/bash-completion/completions/onnxpipe
644 ./opt/onnxpipe/share/fish/vendor_completions.d/onnxpipe.fish
644 ./opt/onnxpipe/share/man/man1/onnxpipe.1
644 ./opt/onnxpipe/share/zsh/site-functions/_onnxpipe
755 ./opt/onnxpipe/bin/onnxpipe"
check "the installed binary runs" "$("$destdir/opt/onnxpipe/bin/onnxpipe" --version | head -n 1)" \
  "$(.build/release/onnxpipe --version | head -n 1)"
check "the installed bash completion is the binary's" \
  "$(cmp "$destdir/opt/onnxpipe/share/bash-completion/completions/onnxpipe" - \
    < "$(.build/release/onnxpipe completions bash > "$destdir/expected"; echo "$destdir/expected")" && echo same)" same
rm "$destdir/expected"
make --no-print-directory uninstall DESTDIR="$destdir" PREFIX=/opt/onnxpipe >/dev/null
check "make uninstall removes every file" "$(cd "$destdir" && find . -type f)" ""
echo "test-install: $passed passed, $failed failed"
[ "$failed" = 0 ]
