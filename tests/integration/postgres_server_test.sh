#!/usr/bin/env bash
# The results server on PostgreSQL: starts a throwaway cluster (throwaway_postgres.sh) and runs
# perf_server_test's Postgres/* cases against it, each on an emptied database: eight clients of
# three machines submitting at once, and the cluster stopped and started again under a running
# server (the test stops and starts it through TT_TEST_POSTGRES_STOP and _START).
#   postgres_server_test.sh PERF_SERVER_TEST
# Fails (never skips) when PostgreSQL is not installed, naming the package.
set -euo pipefail
test_bin=$1

source "$(dirname "$0")/throwaway_postgres.sh" postgres_server_test

export TT_TEST_POSTGRES_URL=$url
export TT_TEST_POSTGRES_STOP="$(printf '%q ' "${pg_ctl[@]}") -m fast -w stop >/dev/null"
export TT_TEST_POSTGRES_START="$(printf '%q ' "${pg_ctl[@]}") -l $tmp/server.log -w -t 60 -o '$pg_options' start >/dev/null"

# Listed first: none selected would pass silently.
mapfile -t cases < <("$test_bin" --gtest_list_tests --gtest_filter='Postgres/*' |
                     awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}')
if [[ ${#cases[@]} -lt 2 ]]; then
  echo "postgres_server_test: $test_bin has fewer than two Postgres/* cases" >&2
  exit 1
fi
for c in "${cases[@]}"; do
  "$bindir/psql" "$url" -q -v ON_ERROR_STOP=1 -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public'
  "$test_bin" --gtest_filter="$c"
done
echo "postgres_server_test: ${#cases[@]} server cases passed on PostgreSQL"
