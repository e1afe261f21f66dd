#!/usr/bin/env bash
# The full validation run behind `cmake --build build --target run_all`.
# Runs every test suite module by module (the validation claims of tests/performance/ among
# them, each writing its verdict under claims/), the Google Benchmark binaries, then writes
# validation_results/<UTC timestamp>/report.md, report.html, results.json (the merged claims, schema
# docs/results-schema.md) and claims.md, plus ctest logs and benchmark JSON, and points
# validation_results/latest at it. Contract verdicts are compared with the committed baseline
# report (tests/data/regression/validation_baseline.json); a worse one fails the run.
# At the end the run is imported into the results database (tinyperf db import).
# With TT_COUNTS=1 it also counts the instruction-count gate's suite under Valgrind
# (scripts/count.sh, 90 s on two CPUs plus building the `count` preset) into <run>/counts/, so
# report.html and `tinyperf history` show each counted benchmark's instructions beside its time.
# Exit status: non-zero when any test fails, a contract is not PASS or is worse than in the
# baseline, anything is ERROR, or (TT_COUNTS=1) the counts regressed; published-claim verdicts
# never change it.
set -euo pipefail
cd "$(dirname "$0")/.."

build="${TT_BUILD_DIR:-build}"
source scripts/references.sh
tt_references "$build"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="validation_results/$stamp"
mkdir -p "$out/claims"
start=$(date +%s)
export TT_VALIDATION_DIR="$PWD/$out/claims"

# Every label but the layers (and the backend and thread reruns that cut across them), so each
# test runs under the concern it belongs to: the modules, the framework, the store, the server,
# the install. A test with none of those runs in a last step of its own ("other"), so that a new
# label can never leave tests out of the main job.
mapfile -t labels < <(ctest --test-dir "$build" --print-labels | sed -n 's/^  //p' |
                      grep -Ev '^(unit|integration|performance|regression|threads|postgres)$')
concerns=$(IFS='|'; echo "${labels[*]}")
if ctest --test-dir "$build" -N -LE "^(${concerns})\$" | grep -q '^  Test '; then
  labels+=(other)
fi
rows=()
failed_total=0
step=0
count_run="${TT_COUNTS:-0}"
[[ "$count_run" =~ ^[01]$ ]] || { echo "run_all: TT_COUNTS=$count_run must be 0 or 1" >&2; exit 2; }
steps=$(( ${#labels[@]} + 2 + count_run ))
progress() { printf 'run_all: [%2d/%d] %-26s ' "$1" "$steps" "$2"; }
for label in "${labels[@]}"; do
  step=$(( step + 1 ))
  progress "$step" "$label"
  log="$out/ctest_$label.log"
  t0=$(date +%s)
  # A test under two concerns (the Olympics server: the capstone and the server) runs under the
  # first only.
  if [[ $label == other ]]; then
    select=(-LE "^(${concerns})\$")
  elif [[ -n ${earlier:-} ]]; then
    select=(-L "^${label}\$" -LE "^(${earlier})\$")
  else
    select=(-L "^${label}\$")
  fi
  earlier="${earlier:+$earlier|}$label"
  if ctest --test-dir "$build" "${select[@]}" -j "$(nproc)" --output-on-failure >"$log" 2>&1; then
    verdict=PASS
  else
    verdict=FAIL
  fi
  summary=$(grep -E "tests passed, [0-9]+ tests? failed out of" "$log" || echo "no test summary")
  total=$(sed -n 's/.* out of \([0-9]*\).*/\1/p' <<<"$summary")
  failed=$(sed -n 's/.*passed, \([0-9]*\) tests\? failed.*/\1/p' <<<"$summary")
  [[ -z "$total" ]] && { total=0; failed=0; verdict=ERROR; }
  failed_total=$(( failed_total + failed ))
  [[ "$verdict" == ERROR ]] && failed_total=$(( failed_total + 1 ))
  echo "$verdict ($(( total - failed ))/$total tests, $(( $(date +%s) - t0 )) s)"
  rows+=("| $label | $total | $(( total - failed )) | $failed | $verdict |")
done

step=$(( step + 1 ))
progress "$step" "benchmarks"
t0=$(date +%s)
# bench.sh fails a binary that errors or runs zero benchmarks. Three repetitions give each
# benchmark a median and spread (the JSON keeps every repetition, so `tinyperf compare` can read
# it); the nightly's regression runs take ten.
bench_reps=3
bench_status=PASS
if ! TT_BENCH_RUNS=1 TT_BUILD_DIR="$build" scripts/bench.sh "$out" --benchmark_repetitions=$bench_reps \
     --benchmark_display_aggregates_only=true >"$out/bench.log" 2>&1; then
  bench_status=ERROR
  failed_total=$(( failed_total + 1 ))
fi
benches=()
for b in "$build"/bin/*_bench; do benches+=("$(basename "$b")"); done
echo "$bench_status (${#benches[@]} binaries, $(grep -o '[0-9]* timings' "$out/bench.log" |
  awk '{n += $1} END {print n + 0}') timings, $(( $(date +%s) - t0 )) s)"

# Instruction counts beside the times: the count gate's suite, compared with its committed
# baseline like in CI (a regression fails the run).
count_status="not counted (TT_COUNTS=1 counts)"
if [[ $count_run == 1 ]]; then
  step=$(( step + 1 ))
  progress "$step" "instruction counts"
  t0=$(date +%s)
  if scripts/count.sh --out "$out/counts" >"$out/count.log" 2>&1; then
    count_status=PASS
  else
    count_status=FAIL
    failed_total=$(( failed_total + 1 ))
  fi
  echo "$count_status ($(grep -o 'counted the suite in [0-9]* s' "$out/count.log" || echo 'see count.log'), $(( $(date +%s) - t0 )) s)"
fi

# The claims, merged and compared with the committed baseline report; report.html with the
# speedup chart, the matmul and KV-cache scaling charts, and the counts beside the times.
step=$(( step + 1 ))
progress "$step" "claims report"
claims_status=PASS
if ! "$build/bin/tinyperf" report "$out/claims" --out "$out" \
     --baseline tests/data/regression/validation_baseline.json \
     --bench "$out/matmul_bench.json" "$out/kv_cache_bench.json" --benchmarks "$out" \
     >"$out/tinyperf_report.log" 2>&1; then
  claims_status=FAIL
  failed_total=$(( failed_total + 1 ))
fi
[[ -f "$out/claims.md" ]] || { claims_status=ERROR; echo "no claims were recorded" >"$out/claims.md"; }
echo "$claims_status ($(grep -o '[0-9]* claims, [0-9]* contract(s) worse than the baseline' \
  "$out/tinyperf_report.log" || echo 'see tinyperf_report.log'))"

elapsed=$(( $(date +%s) - start ))
{
  echo "# Validation report $stamp"
  echo
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
  echo "- run time: ${elapsed} s"
  echo
  echo "## Test suites by module"
  echo
  echo "| module | tests | passed | failed | verdict |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "(claims status: $claims_status)"
  echo
  cat "$out/claims.md"
  echo
  echo "## Benchmarks (Google Benchmark, status $bench_status)"
  echo
  echo "Medians of $bench_reps repetitions; every repetition is in <binary>.json, per-binary status in bench.log."
  echo
  echo '```'
  for bench in "${benches[@]}"; do
    grep -E "^(Benchmark|-{10})|_median " "$out/$bench.txt" 2>/dev/null || echo "$bench: no output"
  done
  echo '```'
  echo
  for extra in "tinymlperf:TinyMLPerf compliance" "olympics_leaderboard:Olympics leaderboard (CLI test)"; do
    if [[ -f "$out/claims/${extra%%:*}.md" ]]; then
      echo "## ${extra#*:}"
      echo
      cat "$out/claims/${extra%%:*}.md"
      echo
    fi
  done
  echo "## Instruction counts (status: $count_status)"
  echo
  if [[ -d "$out/counts" ]]; then
    echo "Per benchmark beside its time in report.html; the gate's comparisons in counts/*.compare.txt."
  else
    echo "This run was not counted: TT_COUNTS=1 scripts/validate.sh counts the gate's suite."
  fi
  echo
  echo "## Timing regressions between runs"
  echo
  echo "This report compares the claims' verdicts with tests/data/regression/validation_baseline.json."
  echo "Timings are compared with this machine's stored benchmark baseline by the nightly"
  echo "(cmake --build build --target nightly), or by build/bin/tinyperf compare on any two benchmark runs."
} >"$out/report.md.tmp"
mv "$out/report.md.tmp" "$out/report.md"
ln -sfn "$stamp" validation_results/latest

echo
echo "| module | tests | passed | failed | verdict |"
printf '%s\n' "${rows[@]}"
echo "run_all: report written to $out/report.md and $out/report.html (${elapsed} s)"
# The run into the results database (README "Results database"; TT_DB_URL, default
# sqlite:validation_results/perf.db). The nightly sets TT_DB_IMPORT=0 and imports the folder itself
# once its benchmarks are in it. A failed import is reported; the run folder stays as it is.
if [[ "${TT_DB_IMPORT:-1}" != 0 ]]; then
  "$build/bin/tinyperf" db import "$out" --db "${TT_DB_URL:-sqlite:validation_results/perf.db}" ||
    echo "run_all: importing $out into the results database failed (the run folder is kept)"
fi
[[ $failed_total -eq 0 ]]
