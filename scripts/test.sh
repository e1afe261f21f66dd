#!/usr/bin/env bash
# Runs the test suites from a fresh machine: installs missing packages, configures, builds, then
# runs ctest (failing tests print their output).
#   scripts/test.sh                      every test, release build
#   scripts/test.sh -L module_01_tensor  any ctest arguments pass through
#   scripts/test.sh --asan [-L unit]     the same under AddressSanitizer + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."

preset=release
if [[ "${1:-}" == "--asan" ]]; then
  preset=asan
  shift
fi
scripts/build.sh "$preset"
source scripts/references.sh
if [[ "$preset" == release ]]; then
  tt_references build
else  # a sanitizer build measures nothing; it only takes the kernel
  eval "$("build-$preset/bin/tinyperf" env --exports)"
fi
# ctest's own summary stays the last thing printed (CI reads it).
ctest --preset "$preset" -j "$(nproc)" "$@"
