#!/usr/bin/env bash
# Every Google Benchmark binary (build/bin/*_bench) with repetitions, as JSON that
# `tinyperf compare` reads: the `bench` target, and the nightly's benchmark step.
#   scripts/bench.sh [OUT_DIR] [extra Google Benchmark flags...]
# OUT_DIR defaults to validation_results/bench/<UTC timestamp>. Each binary writes
# OUT_DIR/<binary>.json and .txt. Exit non-zero when a binary fails or runs zero benchmarks (a
# filter or registration mistake must not pass as "no regressions").
set -uo pipefail
cd "$(dirname "$0")/.."

build="${TT_BUILD_DIR:-build}"
out="${1:-validation_results/bench/$(date -u +%Y%m%dT%H%M%SZ)}"
shift $(( $# > 0 ? 1 : 0 ))
mkdir -p "$out"
status=0
benches=("$build"/bin/*_bench)
[[ -e "${benches[0]}" ]] || { echo "bench: no $build/bin/*_bench (build first)"; exit 1; }
for bench in "${benches[@]}"; do
  name=$(basename "$bench")
  printf 'bench: %-18s ' "$name"
  t0=$(date +%s)
  if ! "$bench" --benchmark_repetitions=10 --benchmark_min_time=0.1 "$@" \
       --benchmark_out="$out/$name.json" --benchmark_out_format=json >"$out/$name.txt" 2>&1; then
    echo "FAILED (see $out/$name.txt)"
    status=1
  elif ! grep -q '"run_type": "iteration"' "$out/$name.json"; then
    echo "ran zero benchmarks"
    status=1
  else
    echo "$(grep -c '"run_type": "iteration"' "$out/$name.json") runs, $(( $(date +%s) - t0 )) s"
  fi
done
echo "bench: results in $out"
exit $status
