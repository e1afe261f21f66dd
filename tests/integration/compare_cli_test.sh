#!/usr/bin/env bash
# tinyperf compare end to end on real Google Benchmark runs of timer_bench's BM_SpinControl (work
# proportional to n by construction). Whole processes on a shared VM ran up to 15% apart, so the
# sides are run alternately (A B S20 S30, four rounds) and each side's runs are merged (a
# directory per side): two sides running the same binary (A/A) must not report a regression;
# TT_BENCH_SLOWDOWN=0.2 and 0.3 (20% and 30% more work per call) must, the latter as moderate
# (20-50%). Also: aggregates-only files get the threshold-only comparison, single files can be
# compared, a promoted baseline (`tinyperf baseline`) is found and compared with, `tinyperf calibrate`
# writes a noise profile (with each benchmark's drift between runs) that compare reads,
# scripts/confirm.sh reruns a regressed family so that only a slowdown that persists stays a
# regression, and bad inputs exit 2 naming the file.
#   compare_cli_test.sh <timer_bench> <tinyperf> <scratch dir> <scripts/confirm.sh>
set -uo pipefail
bench=$1
tinyperf=$2
dir=$3
confirm=$4
rm -rf "$dir" && mkdir -p "$dir"/{a,b,s20,s30}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
run() {  # run <out.json> [extra flags]
  local out=$1
  shift
  "$bench" --benchmark_filter='BM_SpinControl/' --benchmark_repetitions=5 \
    --benchmark_min_time=0.01 --benchmark_out="$out" --benchmark_out_format=json "$@" >/dev/null \
    || fail "timer_bench exited $?"
}
compare() {  # compare <expected exit> <description> <args...>
  local want=$1 what=$2
  shift 2
  "$tinyperf" compare "$@" >"$dir/out.txt" 2>&1
  local got=$?
  if [[ $got -ne $want ]]; then
    fail "$what: exit $got, expected $want"; cat "$dir/out.txt"
  else
    echo "ok: $what (exit $got)"
  fi
}
count() { grep -c "$1" "$dir/out.txt"; }

for round in 1 2 3 4; do
  run "$dir/a/$round.json"
  run "$dir/b/$round.json"
  TT_BENCH_SLOWDOWN=0.2 run "$dir/s20/$round.json"
  TT_BENCH_SLOWDOWN=0.3 run "$dir/s30/$round.json"
done

compare 0 "A/A: the same binary, alternating runs" "$dir/a" "$dir/b"
cat "$dir/out.txt"
compare 1 "20% more work is a regression" "$dir/a" "$dir/s20" --format json
[[ $(count '"verdict": "regression"') -eq 3 ]] || fail "20%: not all 3 sizes are regressions"
while read -r change; do
  awk -v c="$change" 'BEGIN { exit !(c > 12 && c < 28) }' || fail "20%: change $change% outside 12-28%"
done < <(sed -n 's/^      "change_pct": \([-0-9.e+]*\).*/\1/p' "$dir/out.txt")
compare 1 "30% more work is a moderate regression" "$dir/a" "$dir/s30" --format markdown
cat "$dir/out.txt"
[[ $(count "regression (moderate)") -eq 3 ]] || fail "30%: not all 3 sizes are moderate regressions"
grep -q "3 regression(s)" "$dir/out.txt" || fail "markdown lacks the regression count"
# Single files: a run compared with itself is unchanged whatever the machine did. (Two separate
# single runs are not compared here: their processes drift by up to 15%, which is the point of
# alternating runs above.)
compare 0 "a single file against itself" "$dir/a/1.json" "$dir/a/1.json"

# Baselines: promote the A runs as this machine's baseline, then compare the slow runs with it.
mkdir -p "$dir/run/bench" "$dir/empty_run/bench"
cp "$dir"/a/*.json "$dir/run/bench/"
"$tinyperf" baseline path --root "$dir/baselines" >/dev/null 2>&1 && fail "a baseline before any update"
"$tinyperf" baseline update "$dir/run" --root "$dir/baselines" || fail "baseline update exited $?"
baseline=$("$tinyperf" baseline path --root "$dir/baselines") || fail "no baseline after update"
[[ -f "$baseline/machine.json" ]] || fail "no machine.json beside the baseline"
compare 1 "30% slower than the stored baseline" "$baseline/bench" "$dir/s30"
"$tinyperf" baseline update "$dir/empty_run" --root "$dir/baselines" >/dev/null 2>&1
[[ $? -eq 2 ]] || fail "updating from a run without benchmark files must exit 2"
[[ $(ls "$baseline/bench" | wc -l) -eq 4 ]] || fail "a failed update changed the baseline"

# Calibration: A/A runs of the same binary give a noise profile that compare reads.
"$tinyperf" calibrate "$bench" --filter 'BM_SpinControl/' --rounds 3 --repetitions 3 \
  --min-time 0.01 --out "$dir/noise.json" --work "$dir/calibrate" >"$dir/calibrate.txt" 2>&1 \
  || { fail "calibrate exited $?"; cat "$dir/calibrate.txt"; }
grep -q "False alarms: [0-9]* of 9 A/A benchmarks" "$dir/calibrate.txt" || fail "no false-alarm count"
grep -q '"resolution_pct"' "$dir/noise.json" || fail "no resolution in the profile"
[[ $(grep -c '"process_drift_pct"' "$dir/noise.json") -ge 4 ]] || fail "no drift in the profile"
compare 1 "compare with a noise profile" "$dir/a" "$dir/s30" --noise "$dir/noise.json" --format json
grep -q "noise profile .*false regression(s) per whole-suite comparison" "$dir/out.txt" \
  || fail "compare does not report the profile's expected false alarms"
grep -q '"method": "mann-whitney.*+ process drift"' "$dir/out.txt" \
  || fail "compare with a profile does not account for the drift between runs"
[[ $(grep -c '"runs_baseline": 4' "$dir/out.txt") -eq 3 ]] || fail "merged runs are not counted"
runs=$("$tinyperf" baseline runs "$dir/noise.json") || fail "baseline runs exited $?"
[[ $runs =~ ^[0-9]+$ ]] || fail "baseline runs printed '$runs', not a run count"
echo '{"schema": "tinytorch-noise-profile", "schema_version": 3}' >"$dir/noise3.json"
compare 2 "a noise profile of an unknown version" "$dir/a" "$dir/b" --noise "$dir/noise3.json"
grep -q "noise3.json: noise profile version 3" "$dir/out.txt" || fail "unclear profile error"

# The families called regressions, one a line, for scripts (scripts/confirm.sh).
compare 1 "the regressed families" "$dir/a" "$dir/s30" --format families
[[ $(cat "$dir/out.txt") == BM_SpinControl ]] || fail "--format families printed $(cat "$dir/out.txt")"
compare 0 "no regressed family" "$dir/a" "$dir/b" --format families
[[ ! -s "$dir/out.txt" ]] || fail "--format families printed a family without a regression"

# Confirmation (scripts/confirm.sh): a run that was slow only once (the slowdown gone when its
# family is rerun) is no longer a regression; a slowdown that persists still is.
confirm_dir() {  # confirm_dir <dir> <slowdown during the reruns>
  mkdir -p "$1" && cp "$dir/s30/1.json" "$1/timer_bench.json"
  TT_BENCH_SLOWDOWN=$2 CONFIRM_RUNS=3 "$confirm" "$dir/a" "$1" "$(dirname "$bench")" \
    >"$1/confirm.txt" 2>&1 || { fail "confirm.sh exited $?"; cat "$1/confirm.txt"; }
  grep -q "rerunning BM_SpinControl 3 more time" "$1/confirm.txt" || fail "confirm did not rerun"
}
confirm_dir "$dir/transient" 0
compare 0 "a slowdown that did not come back is not a regression" "$dir/a" "$dir/transient"
confirm_dir "$dir/persistent" 0.3
compare 1 "a slowdown that came back is a regression" "$dir/a" "$dir/persistent"

# Aggregates only: one value per side, so only a labelled threshold comparison is possible (its
# verdicts on real runs are noise-prone by nature; the rule itself is unit-tested).
run "$dir/agg.json" --benchmark_report_aggregates_only=true
compare 0 "aggregates only: threshold-only comparison" "$dir/agg.json" "$dir/agg.json"
grep -q "threshold only" "$dir/out.txt" || fail "aggregates-only comparison is not labelled"

head -c 300 "$dir/a/1.json" >"$dir/truncated.json"
compare 2 "truncated file" "$dir/a/1.json" "$dir/truncated.json"
grep -q "truncated.json: not valid JSON" "$dir/out.txt" || fail "error does not name the file"
echo '{"something": 1}' >"$dir/other.json"
compare 2 "not a benchmark file" "$dir/a/1.json" "$dir/other.json"
grep -q "other.json: neither Google Benchmark JSON" "$dir/out.txt" || fail "unclear error"
compare 2 "missing file" "$dir/a/1.json" "$dir/none.json"
compare 2 "bad threshold" "$dir/a" "$dir/b" --threshold -5

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
