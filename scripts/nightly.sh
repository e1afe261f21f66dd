#!/usr/bin/env bash
# The nightly job behind `cmake --build build --target nightly`: the full validation run, then
# every benchmark at full length, written as Google Benchmark JSON beside the report.
# Cron, e.g.:  0 3 * * *  cd /path/to/repo && scripts/build.sh && cmake --build build --target nightly
set -uo pipefail
cd "$(dirname "$0")/.."

build="${TT_BUILD_DIR:-build}"
scripts/run_all.sh
status=$?
run_dir="validation_results/$(readlink validation_results/latest)"
for bench in "$build"/bin/*_bench; do
  name=$(basename "$bench")
  echo "nightly: $name"
  "$bench" --benchmark_out="$run_dir/${name}_full.json" --benchmark_out_format=json \
    >"$run_dir/${name}_full.txt" 2>&1 || status=1
done
echo "nightly: results in $run_dir (no baseline comparison yet)"
exit $status
