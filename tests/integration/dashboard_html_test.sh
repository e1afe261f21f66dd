#!/usr/bin/env bash
# The fleet dashboard end to end: five run folders of two machines imported with tinyperf db (and
# one validation run with claim verdicts), published with tinyperf publish as a static site (the
# front page and one page per benchmark), and loaded in headless Chromium, which must load each
# page without a logged error. The front page: the matrix (a column per machine, a row per
# benchmark linking its page, which exists), the claim verdicts, no chart; a benchmark's page: a
# trend chart per machine and the way back; screenshots of both. Then a simulated fleet of two
# hardware classes (tinyperf db simulate, seed 7; half its machines carry a noise profile) whose
# detected changes must show their fleet verdicts: k of n, class, confirmed / hardware-specific,
# each machine's false-alarm rate and whether it comes from its noise profile or its history, and
# each change under its chart, with its commit, on its benchmark's page.
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
# A validation run of alpha's with claim verdicts (and no benchmarks).
claims_run="$dir/runs/alpha/20261130T030000Z"
mkdir -p "$claims_run"
cp "$data/regression/validation_baseline.json" "$claims_run/results.json"
"$tinyperf" db import "$claims_run" --db "$db" --machine alpha >/dev/null || fail "db import $claims_run"
"$tinyperf" publish --db "$db" --out "$dir/site" >"$dir/publish.log" 2>&1 || fail "publish exited $?"
html="$dir/site/index.html"
[[ -s "$html" ]] || fail "no index.html"
benchmarks=$(grep -o '"run_name": "[^"]*"' "$sample" | sort -u | wc -l)

claims=$(grep -o '"statement":' "$data/regression/validation_baseline.json" | wc -l)

# The simulated fleet: 8 machines (4 AVX-512, 4 AVX2) x 30 nights x 4 benchmarks; benchmark 0
# slower from night 15 on all (8 changes, confirmed), benchmark 1 from night 22 on the AVX-512
# class only (4 changes, hardware-specific). sim-00..03 carry a noise profile (0 false alarms in
# 3 rounds x 4 benchmarks), sim-04..07 do not.
"$tinyperf" db simulate --db "sqlite:$dir/fleet.db" --machines 8 --nights 30 --benchmarks 4 \
  --repetitions 3 --seed 7 >"$dir/simulate.log" 2>&1 || fail "db simulate exited $?"
"$tinyperf" publish --db "sqlite:$dir/fleet.db" --out "$dir/fleet" >>"$dir/publish.log" 2>&1 ||
  fail "publish of the simulated fleet exited $?"

# A page of a benchmark no longer in the store goes at the next publish.
echo stale >"$dir/fleet/benchmarks/stale.html"
"$tinyperf" publish --db "sqlite:$dir/fleet.db" --out "$dir/fleet" >>"$dir/publish.log" 2>&1 ||
  fail "second publish of the simulated fleet exited $?"
[[ -e "$dir/fleet/benchmarks/stale.html" ]] && fail "publish kept a stale benchmark page"
pages=$(ls "$dir/fleet/benchmarks" | wc -l)
[[ $pages -eq 4 ]] || fail "$pages benchmark pages in the simulated fleet's site, expected 4"

source "$(dirname "$0")/chromium.sh"
if [[ -z "$chromium_bin" ]]; then
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
  # The front page draws no chart: each benchmark's name links its page, which exists.
  charts=$(grep -o 'trend-chart' "$dir/dom.html" | wc -l)
  [[ $charts -eq 0 ]] || fail "$charts trend charts on the front page, expected none"
  grep -o '<tr data-benchmark="[^"]*"><td class="name"><a href="benchmarks/[^"]*\.html">' \
    "$dir/dom.html" | sed 's/.*href="\([^"]*\)".*/\1/' >"$dir/links.txt"
  links=$(sort -u "$dir/links.txt" | wc -l)
  [[ $links -eq $benchmarks ]] || fail "$links distinct benchmark links in the matrix, expected $benchmarks"
  while read -r link; do
    [[ -s "$dir/site/$link" ]] || fail "the matrix links $link, which publish did not write"
  done <"$dir/links.txt"
  pages=$(ls "$dir/site/benchmarks" | wc -l)
  [[ $pages -eq $benchmarks ]] || fail "$pages benchmark pages, expected $benchmarks"
  grep -q 'id="filter"' "$dir/dom.html" || fail "no filter box"
  # Claim verdicts: a row per claim of alpha's validation run; beta has none (empty cells).
  rows=$(grep -o '<tr class="claim">' "$dir/dom.html" | wc -l)
  [[ $claims -ge 1 && $rows -eq $claims ]] || fail "$rows claim rows in the DOM, $claims claims imported"
  verdicts=$(grep -oE '<td class="verdict (PASS|PARTIAL|FAIL|ERROR)"' "$dir/dom.html" | wc -l)
  [[ $verdicts -eq $claims ]] || fail "$verdicts verdict cells for alpha, expected $claims"
  empty=$(grep -o '<td class="verdict empty"' "$dir/dom.html" | wc -l)
  [[ $empty -eq $claims ]] || fail "$empty empty verdict cells for beta, expected $claims"
  chromium_screenshot "$html" "$dir/dashboard.png" 1280,1600

  # The first benchmark's page, as a reader opens it from the matrix: a chart per machine.
  page="$dir/site/$(head -1 "$dir/links.txt")"
  chromium_dom "$page" "$dir/benchmark_dom.html" "$dir/benchmark_browser.log"
  charts=$(grep -o 'class="chart trend-chart"' "$dir/benchmark_dom.html" | wc -l)
  [[ $charts -eq 2 ]] || fail "$charts trend charts on $page, expected one per machine (2)"
  grep -q '3 runs, 20261201T030000Z to 20261203T030000Z' "$dir/benchmark_dom.html" ||
    fail "alpha's run span missing on $page"
  grep -q '<a href="../index.html">' "$dir/benchmark_dom.html" || fail "no way back from $page"
  chromium_screenshot "$page" "$dir/benchmark.png" 1280,900
  # Every page together: one chart per benchmark and machine.
  charts=$(cat "$dir"/site/benchmarks/*.html | grep -o 'class="chart trend-chart"' | wc -l)
  [[ $charts -eq $((2 * benchmarks)) ]] ||
    fail "$charts trend charts on the benchmark pages, expected one per benchmark and machine ($((2 * benchmarks)))"

  fleet="$dir/fleet/index.html"
  chromium_dom "$fleet" "$dir/fleet_dom.html" "$dir/fleet_browser.log"
  count() { grep -o "$1" "$dir/fleet_dom.html" | wc -l; }
  [[ $(count '<tr class="change regression"') -eq 12 ]] || fail "$(count '<tr class="change regression"') changes listed, expected 12"
  [[ $(count 'data-fleet="confirmed"') -eq 8 ]] || fail "$(count 'data-fleet="confirmed"') confirmed changes, expected 8"
  [[ $(count 'data-fleet="hardware-specific"') -eq 4 ]] ||
    fail "$(count 'data-fleet="hardware-specific"') hardware-specific changes, expected 4"
  [[ $(count '<td class="seen-on">4 of 4</td>') -eq 12 ]] || fail "not every change seen on 4 of 4 of its class"
  # sim-00..03 carry a noise profile: benchmark 0's change on 4 of them, benchmark 1's on 2.
  [[ $(count '<td class="false-alarm noise-profile"') -eq 6 ]] ||
    fail "$(count '<td class="false-alarm noise-profile"') changes with their machine's noise-profile rate, expected 6"
  [[ $(count '<td class="false-alarm history"') -eq 6 ]] ||
    fail "$(count '<td class="false-alarm history"') changes with their machine's history rate, expected 6"
  grep -q 'title="its noise profile (run 20260130T030000Z): 0 false alarms in 12 A/A comparisons">' \
    "$dir/fleet_dom.html" || fail "a noise-profile rate does not say what it is measured on"
  grep -q 'Simulated Xeon | avx512 | SkylakeX: 4 of 4' "$dir/fleet_dom.html" ||
    fail "the fleet-wide change on the AVX2 machines does not show the AVX-512 class's 4 of 4"
  grep -q 'Simulated EPYC | avx2 | Haswell: 0 of 4' "$dir/fleet_dom.html" ||
    fail "the hardware-specific changes do not show the flat AVX2 class (0 of 4)"
  [[ $(count '<th class="machine"') -eq 8 ]] || fail "$(count '<th class="machine"') machine columns, expected 8"
  [[ $(grep -o '<th class="machine"[^>]*>sim-0[0-7]<br><span class="commit"' "$dir/fleet_dom.html" | wc -l) -eq 8 ]] ||
    fail "not every machine's column shows its latest commit"
  chromium_screenshot "$fleet" "$dir/fleet.png" 1600,1400
  # Each recorded time change under its chart, with its commit, on the pages of benchmarks 0
  # (8 changes) and 1 (4), which the changes link.
  : >"$dir/fleet_pages_dom.html"
  for b in 0 1; do
    link=$(grep -o "<a href=\"benchmarks/BM_Sim_b_$b-[0-9a-f]*\.html\">BM_Sim/b:$b</a></td><td>real_time" \
      "$dir/fleet_dom.html" | head -1 | sed 's/.*href="\([^"]*\)".*/\1/')
    [[ -n "$link" ]] || { fail "no change links the page of BM_Sim/b:$b"; continue; }
    chromium_dom "$dir/fleet/$link" "$dir/fleet_b$b.html" "$dir/fleet_b${b}_browser.log"
    cat "$dir/fleet_b$b.html" >>"$dir/fleet_pages_dom.html"
  done
  [[ $(grep -o '<ul class="chart-changes"><li>[^<]*, commit <span class="commit">[0-9a-f]\{10\}</span>' \
       "$dir/fleet_pages_dom.html" | wc -l) -eq 12 ]] || fail "not 12 charts listing their change with its commit"
  chromium_screenshot "$dir/fleet/$link" "$dir/fleet_benchmark.png" 1280,1600
fi

"$tinyperf" publish --db "sqlite:$dir/missing/none.db" --out "$dir/bad" >"$dir/bad.log" 2>&1
status=$?
[[ $status -eq 2 ]] || fail "publish from an unusable database exited $status, expected 2"

if [[ $failures -ne 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "dashboard checks passed ($benchmarks benchmarks, 2 machines; screenshots $dir/dashboard.png, $dir/benchmark.png)"
