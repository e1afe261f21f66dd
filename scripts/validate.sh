#!/usr/bin/env bash
# The main job: installs missing packages, configures, builds, then runs the full validation
# (`run_all`), which prints the verdict table and the path of the report it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."

# The main job also compares tinytorch with libtorch, so it installs libtorch-dev (the tests do not
# need it; without it CMake leaves the comparison suite out).
scripts/setup-deps.sh --libtorch
scripts/build.sh release
cmake --build build --target run_all
