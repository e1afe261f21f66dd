#!/usr/bin/env bash
# Times beside instruction counts end to end, on fixture files (tests/data/time_and_counts/: a
# run folder before and after, each with hand-written timings and counts, one benchmark per
# reading; deterministic, nothing is timed): `tinyperf compare --counts` reads each benchmark
# right in text, Markdown and JSON and exits 1 on the regressions; A/A exits 0; bad inputs exit 2
# naming the file; `tinyperf report --benchmarks` puts each count beside its time, escaped;
# `tinyperf history` draws a benchmark's instruction series beside its time series.
#   time_counts_cli_test.sh TINYPERF DATA_DIR SCRATCH_DIR
set -uo pipefail
tinyperf=$1
data=$2/time_and_counts
dir=$3
rm -rf "$dir" && mkdir -p "$dir"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
before=$data/before
after=$data/after

# The joined comparison: exit 1 (regressions), each benchmark with its reading.
"$tinyperf" compare "$before/fixture_bench.json" "$after/fixture_bench.json" \
  --counts "$before/counts" "$after/counts" >"$dir/text.txt" 2>&1
status=$?
cat "$dir/text.txt"
[[ $status -eq 1 ]] || fail "compare --counts with regressions exited $status, expected 1"
reading() {  # reading BENCHMARK: the last word of its row
  awk -v n="$1" 'index($0, n) == 1 { print $NF; exit }' "$dir/text.txt"
}
for expected in "BM_MoreWork/n:64 agree" "BM_MemoryBound/n:256 memory-bound" \
                "BM_CacheBound/n:128 cache-bound" "BM_HiddenWork/n:64 hidden-work" \
                "BM_Noisy/n:64 timing-noise" "BM_Same/n:64 agree" \
                "BM_TimedOnly/n:64 not-counted"; do
  got=$(reading "${expected% *}")
  [[ "$got" == "${expected#* }" ]] || fail "${expected% *}: reading '$got', expected '${expected#* }'"
done
grep -q "counted, not timed: BM_CountedOnly/n:64" "$dir/text.txt" || fail "the counted-only benchmark is not named"
grep -q "memory-bound (1): slower without more instructions, with more last-level" "$dir/text.txt" ||
  fail "the memory-bound reading is not explained"
grep -q "8 benchmark(s) timed, 7 of them counted: 4 with a regression (time or instructions), 3 where time and count disagree" \
  "$dir/text.txt" || fail "wrong summary"
# The regressions: time +20% and +30% with exact Mann-Whitney, instructions +20% and +5%.
grep -E "^BM_MemoryBound/n:256 +\+30\.0% +\[" "$dir/text.txt" >/dev/null || fail "the time change or its interval is missing"
grep -E "^BM_HiddenWork/n:64 .*\+5\.000% +regression \(severe\)" "$dir/text.txt" >/dev/null ||
  fail "the instruction change or its verdict is missing"

# JSON: the same readings, the miss directions that decided them.
"$tinyperf" compare "$before/fixture_bench.json" "$after/fixture_bench.json" \
  --counts "$before/counts/fixture_bench.json" "$after/counts/fixture_bench.json" --format json \
  >"$dir/out.json" 2>"$dir/json.err"
status=$?
[[ $status -eq 1 ]] || { fail "--format json exited $status"; cat "$dir/json.err"; }
[[ $(grep -o '"reading": "[a-z-]*"' "$dir/out.json" | sort | uniq -c | tr -s ' ' | tr '\n' ';') == \
   ' 3 "reading": "agree"; 1 "reading": "cache-bound"; 1 "reading": "hidden-work"; 1 "reading": "memory-bound"; 1 "reading": "not-counted"; 1 "reading": "timing-noise";' ]] ||
  fail "JSON: wrong readings: $(grep -o '"reading": "[a-z-]*"' "$dir/out.json" | tr '\n' ' ')"
grep -o '"reading": "agree"' "$dir/out.json" | wc -l | grep -qx 3 || fail "JSON: not 3 agreements"
grep -q '"disagreements": 3' "$dir/out.json" || fail "JSON: disagreements"
grep -q '"direction": "up"' "$dir/out.json" || fail "JSON: no miss direction"

# Markdown: the hostile name stays one escaped cell.
"$tinyperf" compare "$before/fixture_bench.json" "$after/fixture_bench.json" \
  --counts "$before/counts" "$after/counts" --format markdown >"$dir/out.md" 2>&1
grep -q '<b>' "$dir/out.md" && fail "Markdown: raw HTML from a benchmark name"
grep -q '| \*\*memory-bound\*\* |' "$dir/out.md" || fail "Markdown: the disagreement is not marked"
[[ $(grep -c '^| .*BM' "$dir/out.md") -eq 8 ]] || fail "Markdown: not 8 benchmark rows"

# A/A: nothing regresses, nothing disagrees; exit 0.
"$tinyperf" compare "$before/fixture_bench.json" "$before/fixture_bench.json" \
  --counts "$before/counts" "$before/counts" >"$dir/aa.txt" 2>&1
status=$?
[[ $status -eq 0 ]] || { fail "A/A exited $status"; cat "$dir/aa.txt"; }
grep -q "0 with a regression (time or instructions), 0 where time and count disagree" "$dir/aa.txt" ||
  fail "A/A: $(tail -1 "$dir/aa.txt")"

# Bad inputs: exit 2, the file named.
echo '{"benchmarks": [{"name": "BM_Same/n:64", "instructions": -1}]}' >"$dir/negative.json"
"$tinyperf" compare "$before/fixture_bench.json" "$after/fixture_bench.json" \
  --counts "$before/counts" "$dir/negative.json" >"$dir/bad.txt" 2>&1
status=$?
[[ $status -eq 2 ]] || fail "a negative count exited $status, expected 2"
grep -q "negative.json: benchmarks\[0\] (BM_Same/n:64): 'instructions' is -1" "$dir/bad.txt" ||
  { fail "the bad count file is not named"; cat "$dir/bad.txt"; }
"$tinyperf" compare "$before/fixture_bench.json" "$after/fixture_bench.json" \
  --counts "$before/counts" >"$dir/one.txt" 2>&1
[[ $? -eq 2 ]] || fail "--counts with one path did not exit 2"
"$tinyperf" compare --metric instructions "$before/counts/fixture_bench.json" \
  "$after/counts/fixture_bench.json" --counts "$before/counts" "$after/counts" >"$dir/metric.txt" 2>&1
[[ $? -eq 2 ]] || fail "--counts with a count metric did not exit 2"

# report.html: counts beside times, escaped.
"$tinyperf" report "$2/regression/validation_baseline.json" --out "$dir/report" \
  --benchmarks "$after" >"$dir/report.log" 2>&1 || { fail "tinyperf report exited $?"; cat "$dir/report.log"; }
html="$dir/report/report.html"
grep -q 'id="bench-counts"' "$html" || fail "no time-and-instructions table"
[[ $(grep -o 'class="instructions"' "$html" | wc -l) -eq 8 ]] || fail "not 8 counted benchmarks"
grep -q '<tr><td>BM_MoreWork/n:64</td><td class="time">1200 ns</td><td class="instructions">120000</td>' "$html" ||
  fail "BM_MoreWork's time and count are not side by side"
grep -q 'BM_Pipe|`odd`&lt;b&gt;&amp;/n:8' "$html" || fail "the hostile name is not escaped"
grep -q '<b>&' "$html" && fail "raw markup from a benchmark name"

# history: two runs, the instruction series beside the time series; the count steps found.
mkdir -p "$dir/vr"
cp -r "$before" "$dir/vr/20260101T000000Z"
cp -r "$after" "$dir/vr/20260102T000000Z"
"$tinyperf" history "$dir/vr" --out "$dir/vr" --recent 1 >"$dir/history.log" 2>&1
status=$?
[[ $status -eq 1 ]] || fail "a count step in the last run exited $status, expected 1"
[[ $(grep -o 'class="time-and-count"' "$dir/vr/history.html" | wc -l) -eq 7 ]] ||
  fail "not 7 time-and-count pairs in history.html"
grep -q '| `instructions BM_MoreWork/n:64` | 2 | 20260102T000000Z | 1e+05 per iteration | 1.2e+05 per iteration | +20.0% | exact (count) |' \
  "$dir/vr/history.md" || { fail "the instruction step is not in history.md"; cat "$dir/vr/history.md"; }
grep -q 'instructions BM_Same' "$dir/vr/history.md" && fail "an unchanged count was flagged"

[[ $failures -eq 0 ]] && echo "time_counts_cli_test: all checks passed"
exit $((failures > 0))
