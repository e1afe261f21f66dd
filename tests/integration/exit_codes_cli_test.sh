#!/usr/bin/env bash
# Every tinyperf command's exit status means the same (issue 23): 0 success, 1 a finding (a
# regression, a contract not PASS, an invalid submission, no baseline), 2 bad input or usage (an
# unknown option, a missing, unreadable or malformed file, a binary that cannot run). Also: errors
# name the file and the problem, hostile names reach the terminal as text, and a key given twice
# in a JSON file is an error wherever the file is read.
#   exit_codes_cli_test.sh <tinyperf> <scratch dir> <results.json fixture> <submission fixture>
set -uo pipefail
tinyperf=$1
dir=$2
results=$3
submission=$4
rm -rf "$dir" && mkdir -p "$dir"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() {  # expect <exit code> <description> <tinyperf args...>
  local want=$1 what=$2
  shift 2
  "$tinyperf" "$@" >"$dir/out.txt" 2>&1
  local got=$?
  if [[ $got -ne $want ]]; then
    fail "$what: exit $got, expected $want"; cat "$dir/out.txt"
  else
    echo "ok: $what (exit $got)"
  fi
}
contains() {  # contains <text> — in the last command's output
  grep -qF -- "$1" "$dir/out.txt" || { fail "output lacks '$1'"; cat "$dir/out.txt"; }
}

# Usage, whatever the command.
expect 2 "no command" 
expect 0 "help" --help
contains "Exit status (every command): 0 success; 1 a finding"
expect 2 "unknown command" frobnicate
for cmd in report compare baseline calibrate history env count olympics; do
  expect 2 "$cmd with an unknown option" "$cmd" --no-such-option
done
expect 2 "a value outside its set" env --format xml
expect 2 "compare: a missing file" compare "$dir/none.json" "$results"

# Files: a well-formed one, a FAIL, a malformed one, one with a key given twice.
cp "$results" "$dir/pass.json"
sed -e 's/"value": 3.375113010406494e-06/"value": 0.5/' -e 's/"verdict": "PASS"/"verdict": "FAIL"/' \
  "$results" >"$dir/fail.json"
head -c 300 "$results" >"$dir/truncated.json"
sed 's/"claims": \[/"schema_version": 1, "claims": [/' "$results" >"$dir/twice.json"
grep -q '"value": 0.5' "$dir/fail.json" || fail "the FAIL fixture was not made"

expect 0 "report: every contract PASSes" report "$dir/pass.json" --out "$dir/r0"
expect 1 "report: a contract FAILs (a finding)" report "$dir/fail.json" --out "$dir/r1"
mkdir -p "$dir/run/claims" && cp "$dir/pass.json" "$dir/run/claims/a.json"
expect 0 "report: a claims folder named with a trailing slash" report "$dir/run/claims/"
[[ -f "$dir/run/results.json" && ! -e "$dir/run/claims/results.json" ]] ||
  fail "report DIR/ wrote its results into DIR instead of beside it"
expect 0 "report: the same folder again" report "$dir/run/claims"
expect 2 "report: a truncated file (bad input)" report "$dir/truncated.json" --out "$dir/r2"
contains "truncated.json: not valid JSON"
expect 2 "report: a key given twice" report "$dir/twice.json" --out "$dir/r3"
contains "duplicate key 'schema_version'"
expect 0 "compare: the same results" compare "$dir/pass.json" "$dir/pass.json"
expect 1 "compare: PASS then FAIL is a regression" compare "$dir/pass.json" "$dir/fail.json"
expect 2 "compare: a malformed current file" compare "$dir/pass.json" "$dir/truncated.json"
contains "tinyperf compare: "
contains "truncated.json"
expect 2 "compare: a key given twice" compare "$dir/twice.json" "$dir/pass.json"
# Google Benchmark runs: a benchmark of the baseline that the current run lacks fails the gate.
gbench() {  # gbench FILE NAME... : five equal repetitions of each
  local out=$1 rows=() name
  shift
  for name in "$@"; do
    for rep in 0 1 2 3 4; do
      rows+=("{\"name\": \"$name\", \"run_name\": \"$name\", \"run_type\": \"iteration\", \"repetition_index\": $rep, \"iterations\": 10, \"real_time\": 10$rep, \"cpu_time\": 10$rep, \"time_unit\": \"ns\"}")
    done
  done
  (IFS=,; echo "{\"context\": {}, \"benchmarks\": [${rows[*]}]}") >"$out"
}
gbench "$dir/two.json" BM_A BM_B
gbench "$dir/one.json" BM_A
expect 0 "compare: both benchmarks measured" compare "$dir/two.json" "$dir/two.json"
expect 1 "compare: a benchmark of the baseline not measured now" compare "$dir/two.json" \
  "$dir/one.json"
contains "1 benchmark(s) of the baseline not measured in"
contains "not measured now (absent, or an error): BM_B"
expect 0 "compare --allow-missing" compare "$dir/two.json" "$dir/one.json" --allow-missing

# baseline: no baseline is a finding; a run directory without benchmark files is bad input.
mkdir -p "$dir/run/bench"
expect 1 "baseline path: none for this machine" baseline path --root "$dir/baselines"
expect 2 "baseline update: no benchmark files" baseline update "$dir/run" --root "$dir/baselines"
expect 2 "baseline path --counts: a malformed count file" \
  baseline path --counts "$dir/truncated.json" --root "$dir/baselines"
contains "tinyperf baseline path: "

# history: a malformed run is bad input, not an empty history.
mkdir -p "$dir/history/20260101T000000Z"
cp "$dir/truncated.json" "$dir/history/20260101T000000Z/results.json"
expect 2 "history: a malformed results.json" history "$dir/history" --out "$dir/h"
contains "none of the 1 run directories"
contains "20260101T000000Z/results.json: not valid JSON"
mkdir -p "$dir/history/20260102T000000Z"
cp "$dir/pass.json" "$dir/history/20260102T000000Z/results.json"
expect 0 "history: one bad run among good ones is a warning" history "$dir/history" --out "$dir/h"
contains "20260101T000000Z: results.json skipped"

# Binaries that cannot run.
expect 2 "calibrate: a binary that fails" calibrate /bin/false --rounds 1 --work "$dir/cal"
expect 2 "count: a missing binary" count "$dir/no-such-binary"

# olympics: an invalid submission is a finding; an unreadable one bad input.
mkdir -p "$dir/subs"
cp "$submission" "$dir/subs/ok.json"
expect 0 "olympics validate: a valid submission" olympics validate "$dir/subs/ok.json"
sed 's/"schema": /"athlete": "mallory", "schema": /' "$submission" >"$dir/subs/twice.json"
expect 1 "olympics validate: a key given twice" olympics validate "$dir/subs/twice.json"
contains "duplicate key 'athlete'"
sed 's/"techniques": \[/"techniques": ["fp16", /' "$submission" >"$dir/subs/fp16.json"
expect 1 "olympics validate: an unknown technique" olympics validate "$dir/subs/fp16.json"
contains "unknown technique 'fp16' (known: int8, sparse, prune=<fraction>, structured=<fraction>)"
printf -v esc '\033'
sed "s/\"athlete\": \"[^\"]*\"/\"athlete\": \"\\\\u001b[2Jmallory\\\\u0007\"/" "$submission" \
  >"$dir/subs/esc$esc[31m.json"
expect 1 "olympics validate: hostile file name and athlete" olympics validate "$dir"/subs/*.json
grep -q "$esc" "$dir/out.txt" && fail "a raw ESC reached the terminal"
contains '\x1b[31m.json'
expect 1 "olympics leaderboard: rejected submissions" \
  olympics leaderboard --event latency_sprint "$dir/subs"
grep -q "$esc" "$dir/out.txt" && fail "a raw ESC reached the Markdown board"
expect 2 "olympics validate: a missing file" olympics validate "$dir/none.json"
contains "tinyperf olympics validate: "
expect 2 "olympics submit: an unknown technique" \
  olympics submit --event all_around --athlete x --technique fp16 --out "$dir/x.json"
contains "(known: int8, sparse"
[[ -e "$dir/x.json" ]] && fail "a usage error wrote a file"

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
