#!/usr/bin/env bash
# Runs the test suites from a fresh machine: installs missing packages, configures, builds, then
# runs ctest (failing tests print their output).
#   scripts/test.sh                      every test, release build
#   scripts/test.sh -L module_01_tensor  any ctest arguments pass through
#   scripts/test.sh --asan [-L unit]     the same under AddressSanitizer + UBSan
#   scripts/test.sh --tsan               the concurrent code's tests (-L threads) under ThreadSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."

preset=release
if [[ "${1:-}" == "--asan" || "${1:-}" == "--tsan" ]]; then
  preset=${1#--}
  shift
fi
targets=()
if [[ "$preset" == asan && " $* " == *" -L unit "* ]]; then
  targets=(--target tt_unit_tests)  # the unit suites need no other binary
fi
scripts/build.sh "$preset" "${targets[@]}"
source scripts/references.sh
if [[ "$preset" == release ]]; then
  tt_references build
elif [[ "$preset" == asan ]]; then
  # A sanitizer build measures nothing; it only takes the BLAS kernel, which the release build's
  # tinyperf finds (in CI it is built already; a sanitized tinyperf would add the server).
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target tinyperf >/dev/null
  exports=$(build/bin/tinyperf env --exports) || exit 1  # a failed tinyperf must not pass as ""
  eval "$exports"
else  # the tsan build preset builds only the thread tests, which run OpenBLAS single-threaded
  set -- -L threads "$@"
fi
# ctest's own summary stays the last thing printed (CI reads it).
ctest --preset "$preset" -j "$(nproc)" "$@" || exit 1  # ctest says 8; the scripts say 1
