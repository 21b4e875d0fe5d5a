#!/usr/bin/env bash
# Runs the whole test suite: the release build's tests, the same tests built
# with AddressSanitizer + UndefinedBehaviorSanitizer, the pipe tests under
# ThreadSanitizer, and an install into a temporary prefix from which the C
# and C++ examples are built with pkg-config alone.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc)

echo "== release build and tests"
[ -d build ] || meson setup build --buildtype=release >/dev/null
ninja -C build
meson test -C build --print-errorlogs --num-processes "$jobs"

echo "== ASan + UBSan build and tests"
[ -d build-asan ] || meson setup build-asan -Db_sanitize=address,undefined \
  -Db_lundef=false --buildtype=debugoptimized >/dev/null
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs --num-processes "$jobs" \
  --timeout-multiplier 4

if [ -x scripts/tsan.sh ]; then
  echo "== ThreadSanitizer (pipe)"
  scripts/tsan.sh
fi

echo "== install and build the examples out of tree"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
meson install -C build --destdir "$prefix" >/dev/null
root="$prefix$(meson introspect build --buildoptions | python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])')"
export PKG_CONFIG_PATH=$(dirname "$(find "$root" -name spacyc.pc | head -1)")
sed -i "s|^prefix=.*|prefix=$root|" "$PKG_CONFIG_PATH/spacyc.pc"
libdir=$(pkg-config --variable=libdir spacyc)
cc -std=c11 -Wall -Wextra -o "$prefix/hello_c" examples/hello.c $(pkg-config --cflags --libs spacyc)
c++ -std=c++17 -Wall -Wextra -o "$prefix/hello_cpp" examples/hello.cpp $(pkg-config --cflags --libs spacyc)
export SPACYC_MODEL="$PWD/models/en_default.spacyc"
LD_LIBRARY_PATH="$libdir" "$prefix/hello_c" "Installed copies work."
LD_LIBRARY_PATH="$libdir" "$prefix/hello_cpp" "So does C++."
echo "== all tests passed"
