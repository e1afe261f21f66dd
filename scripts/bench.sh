#!/usr/bin/env bash
# Every Google Benchmark binary (build/bin/*_bench) with repetitions, as JSON that
# `tinyperf compare` reads: the `bench` target, and the nightly's benchmark step.
#   [TT_BENCH_RUNS=N] scripts/bench.sh [OUT_DIR] [extra Google Benchmark flags...]
# OUT_DIR defaults to validation_results/bench/<UTC timestamp>. Each binary writes
# OUT_DIR/<binary>.json and .txt; with TT_BENCH_RUNS=N (default 1) the whole set runs N times, as
# <binary>.<run>.json, so every benchmark has N separate processes behind it (compare merges a
# directory's files and counts the runs: the drift between runs shrinks with more of them, not
# with more repetitions). Exit non-zero when a binary fails or runs zero benchmarks (a filter or
# registration mistake must not pass as "no regressions").
# Run alone (no OUT_DIR), it writes OUT_DIR/environment.json and imports OUT_DIR into the results
# database (tinyperf db import; TT_DB_URL, default sqlite:validation_results/perf.db).
set -uo pipefail
cd "$(dirname "$0")/.."

build="${TT_BUILD_DIR:-build}"
source scripts/references.sh
tt_references "$build"
standalone=0
[[ $# -eq 0 ]] && standalone=1  # not a step of run_all or the nightly, which import their folder
out="${1:-validation_results/bench/$(date -u +%Y%m%dT%H%M%SZ)}"
shift $(( $# > 0 ? 1 : 0 ))
mkdir -p "$out"
status=0
runs="${TT_BENCH_RUNS:-1}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "bench: TT_BENCH_RUNS=$runs is not a positive count"; exit 1; }
benches=("$build"/bin/*_bench)
[[ -e "${benches[0]}" ]] || { echo "bench: no $build/bin/*_bench (build first)"; exit 1; }
for ((run = 1; run <= runs; run++)); do
  for bench in "${benches[@]}"; do
    name=$(basename "$bench")
    file="$name"
    (( runs > 1 )) && file="$name.$run"
    printf 'bench: %-24s ' "$file"
    t0=$(date +%s)
    if ! "$bench" --benchmark_repetitions=10 --benchmark_min_time=0.1 "$@" \
         --benchmark_out="$out/$file.json" --benchmark_out_format=json >"$out/$file.txt" 2>&1; then
      echo "FAILED (see $out/$file.txt)"
      status=1
    elif ! grep -q '"run_type": "iteration"' "$out/$file.json"; then
      echo "ran zero benchmarks"
      status=1
    else
      echo "$(grep -c '"run_type": "iteration"' "$out/$file.json") timings, $(( $(date +%s) - t0 )) s"
    fi
  done
done
echo "bench: results in $out"
# A run of its own goes into the results database, with the environment it ran in (the commit
# among it). A failed import is reported; the results stay in $out.
if [[ $standalone -eq 1 ]]; then
  tinyperf="$build/bin/tinyperf"
  if "$tinyperf" env --format json >"$out/environment.json.tmp" &&
     mv "$out/environment.json.tmp" "$out/environment.json" &&
     "$tinyperf" db import "$out" --db "${TT_DB_URL:-sqlite:validation_results/perf.db}"; then
    :
  else
    rm -f "$out/environment.json.tmp"
    echo "bench: importing $out into the results database failed (the results are kept)"
  fi
fi
exit $status
