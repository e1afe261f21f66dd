#!/usr/bin/env bash
# Installs missing packages, configures and builds one CMake preset (default: release).
# Used by test.sh and validate.sh; usable alone: scripts/build.sh [preset [cmake --build args]]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

preset="${1:-release}"
shift $(( $# > 0 ? 1 : 0 ))
scripts/setup-deps.sh
# Configure output is shown only when configure fails.
if ! log=$(cmake --preset "$preset" 2>&1); then
  echo "$log" >&2
  exit 1
fi
cmake --build --preset "$preset" -j "$(nproc)" "$@"
