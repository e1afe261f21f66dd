#!/usr/bin/env bash
# tinyperf db end to end on SQLite: init twice, a run folder imported (and again: stored once),
# exported byte-identical (through the `latest` link too), the exit codes of bad input (a bad URL,
# a malformed document named with its field, a missing run) and of a database failure.
#   db_cli_test.sh <tinyperf> <source dir> <scratch dir>
set -uo pipefail
tinyperf=$1
src=$2
dir=$3
rm -rf "$dir" && mkdir -p "$dir"
db="sqlite:$dir/perf.db"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_exit() {  # expect_exit <code> <log> <command...>
  local want=$1 log=$2
  shift 2
  "$@" >"$log" 2>&1
  local got=$?
  [[ $got -eq $want ]] || { fail "exit $got, expected $want: $*"; cat "$log"; }
}
expect() {  # expect <file> <fixed string> <description>
  grep -qF -- "$2" "$1" || { fail "$3: '$2' not in $1"; cat "$1"; }
}

run="$dir/runs/20261201T030000Z"
mkdir -p "$run/bench" "$run/claims"
cp "$src/tests/data/regression/validation_baseline.json" "$run/results.json"
cp "$src/tests/data/report/matmul_bench_sample.json" "$run/matmul_bench.json"
cp "$src/tests/data/report/matmul_bench_sample.json" "$run/bench/matmul_bench.1.json"
printf '# report\r\nwithout a final newline' >"$run/report.md"
printf '{"id":\t"claim"}\n\n' >"$run/claims/module_17_acceleration.claim.json"
echo 'not a document' >"$run/ctest_module_01.log"
ln -s 20261201T030000Z "$dir/runs/latest"

expect_exit 0 "$dir/init1.log" "$tinyperf" db init --db "$db"
expect "$dir/init1.log" "schema version" "init reports the version"
expect_exit 0 "$dir/init2.log" "$tinyperf" db init --db "$db"
expect_exit 0 "$dir/import1.log" "$tinyperf" db import "$dir/runs/latest" --db "$db" --machine cli
expect "$dir/import1.log" "stored as run 1" "the run is stored"
expect_exit 0 "$dir/import2.log" "$tinyperf" db import "$run" --db "$db" --machine cli
expect "$dir/import2.log" "already stored as run 1" "the same folder is stored once"
expect_exit 0 "$dir/runs.log" "$tinyperf" db runs --db "$db"
expect "$dir/runs.log" "20261201T030000Z" "runs lists it by its folder name"
expect_exit 0 "$dir/export.log" "$tinyperf" db export 20261201T030000Z "$dir/out" --db "$db"
diff -r -x '*.log' "$run" "$dir/out" >"$dir/diff.log" 2>&1 || { fail "export differs"; cat "$dir/diff.log"; }
[[ ! -e "$dir/out/ctest_module_01.log" ]] || fail "a log was exported as a document"

# Bad input: exit 2, naming the problem.
expect_exit 2 "$dir/url.log" "$tinyperf" db init --db "mysql://user:secret@host/db"
expect "$dir/url.log" "expected sqlite:PATH or postgresql://" "a bad URL is explained"
grep -q secret "$dir/url.log" && fail "the URL's password was echoed"
bad="$dir/runs/20261202T030000Z"
mkdir -p "$bad"
sed 's/"real_time": [0-9.e+-]*/"real_time": "fast"/' "$src/tests/data/report/matmul_bench_sample.json" \
  >"$bad/matmul_bench.json"
expect_exit 2 "$dir/bad.log" "$tinyperf" db import "$bad" --db "$db"
expect "$dir/bad.log" "matmul_bench.json: benchmarks[0]: field 'real_time' must be a number" \
  "a malformed document is named with its field"
expect_exit 2 "$dir/missing.log" "$tinyperf" db export 20991231T000000Z "$dir/out2" --db "$db"
expect "$dir/missing.log" "no run named '20991231T000000Z'" "an unknown run is named"
# A database that cannot be opened: exit 1.
expect_exit 1 "$dir/open.log" "$tinyperf" db init --db "sqlite:$dir/no/such/dir/perf.db"

[[ $failures -eq 0 ]] && echo "db_cli_test: all checks passed"
exit $((failures > 0))
