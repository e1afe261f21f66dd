#!/usr/bin/env bash
# The main job: installs missing packages, configures, builds, then runs the full validation
# (`run_all`), which prints the verdict table and the path of the report it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build.sh release
cmake --build build --target run_all
