#!/usr/bin/env bash
# The timed half of the install test: the installed tinyperf compares the downstream project's
# Google Benchmark binary before and after its change and calibrates this machine's noise on it,
# as the README's "tinyperf on your own benchmarks" shows. It runs on what install_test.sh left in
# WORK_DIR (the prefix and the downstream build; a CTest fixture orders the two), alone on the
# machine, since it times.
# Usage: install_timing_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=$(realpath "$1")
work=$(realpath "$2")
prefix=$work/prefix
ds=$work/downstream
tp=$prefix/bin/tinyperf
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $* ($(date +%T))"; }
source "$src/tests/install/downstream.sh"
[[ -x "$tp" && -x "$ds/sort_bench_before" ]] || fail "no install in $work: run install_test.sh first"
rm -rf "$work/before" "$work/after" "$work/calibrate" "$work/bench.log"

step "tinyperf compare: the benchmark before and after the change, alternated"
downstream_bench "$ds" "$work"
downstream_compare "$tp" "$work"
set +e
"$tp" compare "$work/after" "$work/before" > "$work/compare_reverse.txt"
rc=$?
set -e
[[ $rc == 1 ]] || { cat "$work/compare_reverse.txt"; fail "the reverse comparison exited $rc, not 1 (regression)"; }

step "tinyperf calibrate: this machine's noise on the benchmark"
"$tp" calibrate "$ds/sort_bench_after" --rounds 3 --repetitions 3 --min-time 0.01 \
  --out "$work/noise.json" --work "$work/calibrate"
[[ -s "$work/noise.json" ]] || fail "calibrate wrote no profile"
"$tp" compare --noise "$work/noise.json" "$work/before" "$work/after" >/dev/null ||
  fail "compare --noise with the calibrated profile failed"

step "ok"
