#!/usr/bin/env bash
# The results store on PostgreSQL: starts a throwaway cluster (throwaway_postgres.sh), runs
# perf_store_test's Postgres/* cases, a `tinyperf db` import/export round trip and detection, and
# the scale benchmark at a small scale (db_simulate_test.sh) against it.
#   postgres_store_test.sh PERF_STORE_TEST TINYPERF SOURCE_DIR
# Fails (never skips) when PostgreSQL is not installed, naming the package.
set -euo pipefail
test_bin=$1
tinyperf=$2
src=$3

source "$(dirname "$0")/throwaway_postgres.sh" postgres_store_test

# The same cases as on SQLite; none selected would pass silently, so count them first.
cases=$(TT_TEST_POSTGRES_URL=$url "$test_bin" --gtest_list_tests --gtest_filter='Postgres/*' |
        grep -c '^  ' || true)
if [[ "$cases" -lt 1 ]]; then
  echo "postgres_store_test: $test_bin has no Postgres/* cases" >&2
  exit 1
fi
TT_TEST_POSTGRES_URL=$url "$test_bin" --gtest_filter='Postgres/*'

# The command line on PostgreSQL: a run folder imported (twice: stored once) and exported
# byte-identical, into a database emptied first (the cases above leave their last tables).
"$bindir/psql" "$url" -q -v ON_ERROR_STOP=1 -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public'
"$tinyperf" db init --db "$url"
run="$tmp/runs/20261201T030000Z"
mkdir -p "$run/bench"
cp "$src/tests/data/regression/validation_baseline.json" "$run/results.json"
cp "$src/tests/data/report/matmul_bench_sample.json" "$run/matmul_bench.json"
cp "$src/tests/data/report/matmul_bench_sample.json" "$run/bench/matmul_bench.1.json"
"$tinyperf" db import "$run" --db "$url" --machine pg-test | tee "$tmp/import1.log"
grep -q "stored as run" "$tmp/import1.log"
"$tinyperf" db import "$run" --db "$url" --machine pg-test | tee "$tmp/import2.log"
grep -q "already stored as run" "$tmp/import2.log"
"$tinyperf" db export 20261201T030000Z "$tmp/exported" --db "$url" --machine pg-test
diff -r "$run" "$tmp/exported"
"$tinyperf" db runs --db "$url"
# The change detection's rescan on PostgreSQL: one run is no history, so every series is searched
# and nothing is found (the Postgres/* cases above detect and record changes on this backend).
"$tinyperf" db detect --db "$url" | tee "$tmp/detect.log"
benchmarks=$(grep -o '"run_name": "[^"]*"' "$src/tests/data/report/matmul_bench_sample.json" | sort -u | wc -l)
grep -q "^tinyperf db detect: $benchmarks series searched, 0 changes found, 0 of them new" "$tmp/detect.log"
# The scale benchmark's small fleet on PostgreSQL, into an emptied database.
"$bindir/psql" "$url" -q -v ON_ERROR_STOP=1 -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public'
"$(dirname "$0")/db_simulate_test.sh" "$tinyperf" "$url"
echo "postgres_store_test: $cases store cases and the tinyperf db round trip passed on PostgreSQL"
