#!/usr/bin/env bash
# The results store on PostgreSQL: starts a throwaway cluster (initdb and pg_ctl from Debian's
# postgresql, as the postgres user when run as root, because PostgreSQL refuses to run as root;
# trust authentication, its unix socket in a temporary directory, TCP on 127.0.0.1 only, a free
# port), runs perf_store_test's Postgres/* cases and a `tinyperf db` import/export round trip
# against it, and stops and removes it on every exit, failed or not.
#   postgres_store_test.sh PERF_STORE_TEST TINYPERF SOURCE_DIR
# Fails (never skips) when PostgreSQL is not installed, naming the package.
set -euo pipefail
test_bin=$1
tinyperf=$2
src=$3

# The newest installed server version; Debian installs each under /usr/lib/postgresql/<major>/.
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z "$bindir" || ! -x "$bindir/initdb" || ! -x "$bindir/pg_ctl" ]]; then
  echo "postgres_store_test: no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb): install the" \
       "Debian package 'postgresql' (apt-get install postgresql; scripts/setup-deps.sh does)" >&2
  exit 1
fi

tmp=$(mktemp -d /tmp/tt-pg-test.XXXXXX)
as_postgres=()
if [[ $(id -u) -eq 0 ]]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "postgres_store_test: running as root but there is no 'postgres' user to run the" \
         "server as (the postgresql package creates it)" >&2
    rm -rf "$tmp"
    exit 1
  fi
  chown postgres: "$tmp"
  as_postgres=(runuser -u postgres --)
fi
cleanup() {
  "${as_postgres[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

if ! "${as_postgres[@]}" "$bindir/initdb" -D "$tmp/data" --auth=trust -U postgres -E UTF8 \
       --locale=C --no-sync >"$tmp/initdb.log" 2>&1; then
  cat "$tmp/initdb.log" >&2
  exit 1
fi
# A port nobody listens on; another process may take it before the server does, so a failed
# start tries another one.
started=0
for attempt in 1 2 3 4 5 6 7 8; do
  port=$(( 20000 + RANDOM % 40000 ))
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
  if "${as_postgres[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
       -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off" start >/dev/null 2>&1; then
    started=1
    break
  fi
done
if [[ $started -ne 1 ]]; then
  echo "postgres_store_test: the PostgreSQL server did not start; its log:" >&2
  cat "$tmp/server.log" >&2 || true
  exit 1
fi
url="postgresql://postgres@127.0.0.1:$port/postgres"
echo "postgres_store_test: PostgreSQL $(basename "$(dirname "$bindir")") on 127.0.0.1:$port"

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
echo "postgres_store_test: $cases store cases and the tinyperf db round trip passed on PostgreSQL"
