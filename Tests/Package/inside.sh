#!/bin/sh
# Runs inside the clean Debian root that test-package.sh made, after
# `apt-get install ./onnxpipe_VERSION_ARCH.deb`: the installed program, its
# man page, completions and bundled examples, with no Swift anywhere.
# Usage: inside.sh VERSION (from the folder holding examples.tsv and expected/).
set -u
version=$1
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
check() {
  name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok: $name"
  else
    failed=$((failed + 1))
    echo "FAIL: $name"
  fi
}

no_swift() { ! command -v swift >/dev/null && ! ls /usr/lib/swift /usr/lib/*/libswiftCore.so 2>/dev/null; }
check "no Swift toolchain or runtime in the root" no_swift

libraries_found() {
  ldd /usr/bin/onnxpipe > "$here/ldd.out" 2>&1 || return 1
  ! grep -q -e 'not found' -e swift "$here/ldd.out"
}
check "ldd finds every library and none is Swift's" libraries_found

version_lines() {
  onnxpipe --version > "$here/version.out" || return 1
  [ "$(sed -n 1p "$here/version.out")" = "onnxpipe $version" ] || return 1
  sed -n 2p "$here/version.out" | grep -q '^ONNX Runtime 1\.[0-9]*\.[0-9]* (execution providers: .*CPUExecutionProvider)$'
}
check "onnxpipe --version" version_lines

man_page() { [ "$(man -w onnxpipe)" = /usr/share/man/man1/onnxpipe.1.gz ]; }
check "man -w onnxpipe" man_page

bash_completion() {
  [ "$(bash -c '. /usr/share/bash-completion/completions/onnxpipe && complete -p onnxpipe')" \
    = "complete -F _onnxpipe onnxpipe" ]
}
check "bash completion loads" bash_completion
check "zsh and fish completions installed" test -s /usr/share/zsh/vendor-completions/_onnxpipe \
  -a -s /usr/share/fish/vendor_completions.d/onnxpipe.fish

tab=$(printf '\t')
# Each example, from the package's copy of examples/; those that need a locale
# (a text model's StringNormalizer wants en_US.UTF-8) run after the locale is made.
run_examples() {
  while IFS="$tab" read -r case arguments input needs; do
    case $case in '#'* | '') continue ;; esac
    [ "$needs" = "$1" ] || continue
    # shellcheck disable=SC2086  # the arguments are words
    run_example() {
      (cd /usr/share/doc/onnxpipe && onnxpipe $arguments < "$input") > "$here/$case.out" \
        && cmp "$here/$case.out" "$here/expected/$case"
    }
    check "example $case" run_example
  done < "$here/examples.tsv"
}
run_examples ""

# A minbase root has no en_US.UTF-8: the text model is refused with what to do (exit 78) ...
locale_refusal() {
  (cd /usr/share/doc/onnxpipe && onnxpipe --in lines examples/logs/classifier.onnx < examples/logs/app.log) \
    > /dev/null 2> "$here/locale.err"
  [ $? = 78 ] && grep -q "the en_US.UTF-8 locale is missing: install 'locales'" "$here/locale.err"
}
check "a text model without the en_US.UTF-8 locale says what to install" locale_refusal
# ... and runs once the locale is there, made as the README says.
make_locale() {
  apt-get install -y -q=2 locales > /dev/null 2>&1 \
    && sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen && locale-gen > /dev/null
}
check "locales installed and en_US.UTF-8 generated" make_locale
run_examples locale

echo "test-package: $passed passed, $failed failed"
[ "$failed" = 0 ]
