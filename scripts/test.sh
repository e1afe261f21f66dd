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
# ctest's own summary stays the last thing printed (CI reads it).
ctest --preset "$preset" -j "$(nproc)" "$@"
