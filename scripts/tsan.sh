#!/usr/bin/env bash
# Runs the pipe() tests under ThreadSanitizer.
#
# GCC's OpenMP runtime synchronises its threads in code TSan cannot see, so
# a TSan build with it reports races that are not there. This build uses
# clang with LLVM's OpenMP runtime and its Archer tool, which tells TSan
# about every OpenMP barrier and task, so that what TSan reports is real.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh clang libomp-dev libclang-rt-dev

archer=$(ls /usr/lib/llvm-*/lib/libarcher.so 2>/dev/null | sort -V | tail -1)
if [ -z "$archer" ]; then
  echo "tsan.sh: libarcher.so (LLVM OpenMP's TSan support) not found" >&2
  exit 1
fi

build=${TSAN_BUILD_DIR:-build-tsan}
[ -d "$build" ] || CC=clang CXX=clang++ meson setup "$build" -Db_sanitize=thread \
  -Db_lundef=false -Dopenmp=enabled -Dserver=disabled --buildtype=debugoptimized >/dev/null
ninja -C "$build" tests/test_pipe
OMP_TOOL_LIBRARIES="$archer" \
  TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1 ${TSAN_OPTIONS:-}" \
  meson test -C "$build" --no-rebuild --print-errorlogs --timeout-multiplier 4 pipe
