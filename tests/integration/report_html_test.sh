#!/usr/bin/env bash
# tinyperf report end to end, and its HTML checked in a real browser: the committed baseline
# results and a Google Benchmark sample render to report.html, which headless Chromium must load
# (exit 0, nothing logged by the page) with its charts, and a run folder's instruction counts
# beside its times (tests/data/time_and_counts/after), present in the live DOM; a worse contract
# than the baseline must exit 1 and name the claim; a malformed benchmark file must exit 2.
#   report_html_test.sh <tinyperf> <test data dir> <scratch dir>
set -uo pipefail
tinyperf=$1
data=$2
dir=$3
rm -rf "$dir" && mkdir -p "$dir"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

baseline="$data/regression/validation_baseline.json"
"$tinyperf" report "$baseline" --out "$dir/report" --baseline "$baseline" \
  --bench "$data/report/matmul_bench_sample.json" --benchmarks "$data/time_and_counts/after" \
  >"$dir/report.log" 2>&1 \
  || { fail "tinyperf report on the baseline itself exited $?"; cat "$dir/report.log"; }
html="$dir/report/report.html"
[[ -s "$html" ]] || fail "no report.html"

source "$(dirname "$0")/chromium.sh"
if [[ -z "$chromium_bin" ]]; then
  fail "chromium is not installed (scripts/setup-deps.sh installs it)"
else
  chromium_dom "$html" "$dir/dom.html" "$dir/browser.log"
  grep -q 'id="speedup-chart"' "$dir/dom.html" || fail "no speedup chart in the DOM"
  grep -q 'class="whisker"' "$dir/dom.html" || fail "no confidence whiskers in the DOM"
  grep -q 'class="chart scaling-chart"' "$dir/dom.html" || fail "no scaling chart in the DOM"
  [[ $(grep -o '<polyline' "$dir/dom.html" | wc -l) -ge 3 ]] || fail "fewer than 3 scaling lines"
  svgs_in=$(grep -o '<svg' "$html" | wc -l)
  svgs_dom=$(grep -o '<svg' "$dir/dom.html" | wc -l)
  [[ $svgs_in -eq $svgs_dom && $svgs_dom -ge 2 ]] || fail "$svgs_in charts written, $svgs_dom in the DOM"
  claims=$(grep -o '"statement":' "$baseline" | wc -l)
  rows=$(grep -o 'class="verdict"' "$dir/dom.html" | wc -l)
  [[ $claims -eq $rows ]] || fail "$claims claims in the results, $rows verdict cells in the DOM"
  # The time-and-instructions table: one row per counted benchmark, the count beside the time,
  # a hostile name as text (its <b> escaped, no element made of it).
  counted=$(grep -o '"instructions":' "$data/time_and_counts/after/counts/fixture_bench.json" | wc -l)
  cells=$(grep -o '<td class="instructions">[0-9]*</td>' "$dir/dom.html" | wc -l)
  [[ $counted -ge 1 && $counted -eq $cells ]] ||
    fail "$counted counted benchmarks, $cells instruction cells in the DOM"
  grep -q '<td class="time">1200 ns</td><td class="instructions">120000</td>' "$dir/dom.html" ||
    fail "BM_MoreWork's instructions are not beside its time in the DOM"
  grep -q '<td class="time">–</td><td class="instructions">10000</td>' "$dir/dom.html" ||
    fail "a counted benchmark without a time is not shown with its count"
  grep -q '<table id="bench-counts">' "$dir/dom.html" || fail "no time-and-instructions table in the DOM"
  grep -q 'BM_Pipe|`odd`&lt;b&gt;&amp;/n:8' "$dir/dom.html" || fail "the hostile name is not text in the DOM"
  grep -q '`odd`<b>' "$dir/dom.html" && fail "a benchmark name became markup in the DOM"
  targets=$(grep -o '"kind": "target"' "$baseline" | wc -l)
  statuses=$(grep -oE 'class="status"[^>]*>(MET|MISSED|NOT JUDGED|ERROR)<' "$dir/dom.html" | wc -l)
  [[ $targets -ge 1 && $targets -eq $statuses ]] ||
    fail "$targets targets in the results, $statuses MET/MISSED cells in the DOM"
fi

# A contract that PASSed in the baseline and FAILs now: exit 1, the claim named.
sed '0,/"verdict": "PASS"/s//"verdict": "FAIL"/' "$baseline" >"$dir/worse.json"
"$tinyperf" report "$dir/worse.json" --out "$dir/worse" --baseline "$baseline" >"$dir/worse.log" 2>&1
status=$?
[[ $status -eq 1 ]] || fail "a worse contract exited $status, expected 1"
grep -q "1 worse than the baseline" "$dir/worse.log" || fail "worse contract not reported"

echo '{"benchmarks": [' >"$dir/truncated.json"
"$tinyperf" report "$baseline" --out "$dir/bad" --bench "$dir/truncated.json" >"$dir/bad.log" 2>&1
status=$?
[[ $status -eq 2 ]] || fail "a truncated benchmark file exited $status, expected 2"
grep -q "truncated.json: not valid JSON" "$dir/bad.log" || { fail "the error does not name the file"; cat "$dir/bad.log"; }

[[ $failures -eq 0 ]] && echo "report_html_test: all checks passed"
exit $((failures > 0))
