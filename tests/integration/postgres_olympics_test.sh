#!/usr/bin/env bash
# The Olympics' store on PostgreSQL: starts a throwaway cluster (throwaway_postgres.sh) and runs
# olympics_store_test's Postgres/* cases against it, each on an emptied database (migration 2,
# the limits under concurrent submissions, the queue's claims with FOR UPDATE SKIP LOCKED under
# concurrent workers, expired leases), then the simulated class (olympics_class_test.sh) through
# `tinyperf serve` and two `tinyperf serve --worker` processes on it.
#   postgres_olympics_test.sh OLYMPICS_STORE_TEST TINYPERF SCRATCH_DIR
# Fails (never skips) when PostgreSQL is not installed, naming the package.
set -euo pipefail
test_bin=$1
tinyperf=$2
scratch=$3

source "$(dirname "$0")/throwaway_postgres.sh" postgres_olympics_test

export TT_TEST_POSTGRES_URL=$url
# Listed first: none selected would pass silently.
mapfile -t cases < <("$test_bin" --gtest_list_tests --gtest_filter='Postgres/*' |
                     awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}')
if [[ ${#cases[@]} -lt 5 ]]; then
  echo "postgres_olympics_test: $test_bin has fewer than five Postgres/* cases" >&2
  exit 1
fi
for c in "${cases[@]}"; do
  "$bindir/psql" "$url" -q -v ON_ERROR_STOP=1 -c 'SET client_min_messages = warning' \
    -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public'
  "$test_bin" --gtest_filter="$c"
done
"$bindir/psql" "$url" -q -v ON_ERROR_STOP=1 -c 'SET client_min_messages = warning' \
  -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public'
OLYMPICS_TEST_DB=$url "$(dirname "$0")/olympics_class_test.sh" "$tinyperf" "$scratch" 6 2 2
echo "postgres_olympics_test: ${#cases[@]} Olympics store cases and the simulated class passed" \
     "on PostgreSQL"
