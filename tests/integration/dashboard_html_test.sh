#!/usr/bin/env bash
# The fleet dashboard end to end: five run folders of two machines imported with tinyperf db,
# published with tinyperf publish, and loaded in headless Chromium, which must load it without a
# logged error and build the matrix (a column per machine, a row per benchmark), a trend chart
# per benchmark and machine, and a screenshot.
#   dashboard_html_test.sh <tinyperf> <test data dir> <scratch dir>
set -uo pipefail
tinyperf=$1
data=$2
dir=$3
rm -rf "$dir" && mkdir -p "$dir"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
db="sqlite:$dir/perf.db"

"$tinyperf" db init --db "$db" >/dev/null || fail "db init"
sample="$data/report/matmul_bench_sample.json"
# Runs 1..3 of machine alpha, 1..2 of beta; the first benchmark's time grows a little each run.
for spec in alpha:1 alpha:2 alpha:3 beta:1 beta:2; do
  machine=${spec%:*} n=${spec#*:}
  run="$dir/runs/$machine/2026120${n}T030000Z"
  mkdir -p "$run"
  sed -e "s/1.0388662249085928e-01/1.0${n}e-01/" -e "s/\"host_name\": \"vm\"/\"host_name\": \"$machine\"/" \
    "$sample" >"$run/matmul_bench.json"
  "$tinyperf" db import "$run" --db "$db" --machine "$machine" >/dev/null || fail "db import $run"
done
"$tinyperf" publish --db "$db" --out "$dir/site" >"$dir/publish.log" 2>&1 || fail "publish exited $?"
html="$dir/site/index.html"
[[ -s "$html" ]] || fail "no index.html"
benchmarks=$(grep -o '"run_name": "[^"]*"' "$sample" | sort -u | wc -l)

source "$(dirname "$0")/chromium.sh"
if [[ -z "$browser" ]]; then
  fail "chromium is not installed (scripts/setup-deps.sh installs it)"
else
  chromium_dom "$html" "$dir/dom.html" "$dir/browser.log"
  grep -q '<table class="matrix">' "$dir/dom.html" || fail "no matrix in the DOM"
  machines=$(grep -o '<th class="machine"' "$dir/dom.html" | wc -l)
  [[ $machines -eq 2 ]] || fail "$machines machine columns in the DOM, expected 2"
  rows=$(grep -o '<tr data-benchmark=' "$dir/dom.html" | wc -l)
  [[ $rows -eq $benchmarks ]] || fail "$rows matrix rows in the DOM, $benchmarks benchmarks imported"
  cells=$(grep -o '<td class="cell ' "$dir/dom.html" | wc -l)
  [[ $cells -eq $((2 * benchmarks)) ]] || fail "$cells matrix cells, expected $((2 * benchmarks))"
  charts=$(grep -o 'class="chart trend-chart"' "$dir/dom.html" | wc -l)
  [[ $charts -eq $((2 * benchmarks)) ]] || fail "$charts trend charts, expected one per benchmark and machine ($((2 * benchmarks)))"
  grep -q '3 runs, 20261201T030000Z to 20261203T030000Z' "$dir/dom.html" || fail "alpha's run span missing"
  grep -q 'id="filter"' "$dir/dom.html" || fail "no filter box"
  chromium_screenshot "$html" "$dir/dashboard.png"
fi

"$tinyperf" publish --db "sqlite:$dir/missing/none.db" --out "$dir/bad" >"$dir/bad.log" 2>&1
status=$?
[[ $status -eq 2 ]] || fail "publish from an unusable database exited $status, expected 2"

if [[ $failures -ne 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "dashboard checks passed ($benchmarks benchmarks, 2 machines; screenshot $dir/dashboard.png)"
