#!/usr/bin/env bash
# The README's results-server commands end to end on SQLite: token add, serve (started, stopped
# with SIGTERM, started again on the same port), submit while the server is down (queued in the
# outbox), submit --flush, a resubmission (already stored), refusals (wrong token, another
# machine's run, a revoked token: exit 2, nothing queued), counted with tinyperf db runs.
#   server_cli_test.sh <tinyperf> <source dir> <scratch dir>
set -uo pipefail
tinyperf=$1
src=$2
dir=$3
rm -rf "$dir" && mkdir -p "$dir"
db="sqlite:$dir/perf.db"
failures=0
server_pid=
cleanup() { [[ -n "$server_pid" ]] && kill -KILL "$server_pid" 2>/dev/null; }
trap cleanup EXIT
source "$(dirname "${BASH_SOURCE[0]}")/cli_expect.sh"
source "$(dirname "${BASH_SOURCE[0]}")/serve_on.sh"
stop_server() {  # SIGTERM: a graceful stop, exit 0
  kill -TERM "$server_pid"
  wait "$server_pid"
  local got=$?
  server_pid=
  if [[ $got -ne 0 ]] || ! grep -q "tinyperf serve: stopped" "$dir/serve.log"; then
    echo "FAIL: serve did not stop cleanly on SIGTERM (exit $got)"; cat "$dir/serve.log"
    failures=$((failures + 1))
  else
    echo "ok: serve stops on SIGTERM (exit 0)"
  fi
}

run="$dir/runs/20261203T000000Z"
mkdir -p "$run/bench"
cp "$src/tests/data/regression/validation_baseline.json" "$run/results.json"
cp "$src/tests/data/report/matmul_bench_sample.json" "$run/bench/matmul_bench.1.json"
run2="$dir/runs/20261204T000000Z"
mkdir -p "$run2"
cp "$src/tests/data/report/matmul_bench_sample.json" "$run2/matmul_bench.json"

expect 0 "db init" "$tinyperf" db init --db "$db"
expect 0 "token add" "$tinyperf" token add --db "$db" --machine cli-m1
token=$(grep -E '^[0-9a-f]{64}$' "$dir/out.txt")
[[ "$token" =~ ^[0-9a-f]{64}$ ]] || { echo "FAIL: token add printed '$token'"; failures=$((failures + 1)); }
expect 0 "token add (a second machine)" "$tinyperf" token add --db "$db" --machine cli-m2
token2=$(grep -E '^[0-9a-f]{64}$' "$dir/out.txt")
expect 2 "serve refuses an uninitialised database" "$tinyperf" serve --db "sqlite:$dir/empty.db" --listen 127.0.0.1:0
contains "tinyperf db init"

serve_on 127.0.0.1:0
stop_server
server="http://127.0.0.1:$port"
outbox="$dir/outbox"

expect 0 "submit while the server is down is queued" \
  "$tinyperf" submit "$run" --server "$server" --token "$token" --machine cli-m1 --outbox "$outbox"
contains "queued run 20261203T000000Z"
[[ $(ls "$outbox"/*.json 2>/dev/null | wc -l) -eq 1 ]] || { echo "FAIL: outbox should hold 1 run"; failures=$((failures + 1)); }

serve_on "127.0.0.1:$port"
expect 0 "flush delivers the outbox" \
  env TINYPERF_TOKEN="$token" "$tinyperf" submit --flush --server "$server" --outbox "$outbox"
contains "1 delivered, 0 still waiting, 0 refused"
[[ $(ls "$outbox"/*.json 2>/dev/null | wc -l) -eq 0 ]] || { echo "FAIL: outbox not emptied"; failures=$((failures + 1)); }
expect 0 "the same run again is already stored" \
  "$tinyperf" submit "$run" --server "$server" --token "$token" --machine cli-m1 --outbox "$outbox"
contains "was already stored"
expect 2 "an unknown token is refused, not queued" \
  "$tinyperf" submit "$run" --server "$server" --token "$(printf 'f%.0s' {1..64})" --machine cli-m1 --outbox "$outbox"
contains "HTTP 401"
expect 2 "another machine's token is refused" \
  "$tinyperf" submit "$run" --server "$server" --token "$token2" --machine cli-m1 --outbox "$outbox"
contains "HTTP 403"
expect 0 "token revoke" "$tinyperf" token revoke --db "$db" --machine cli-m1
contains "revoked 1 token(s)"
expect 2 "a revoked token is refused" \
  "$tinyperf" submit "$run" --server "$server" --token "$token" --machine cli-m1 --outbox "$outbox"
[[ $(ls "$outbox"/*.json 2>/dev/null | wc -l) -eq 0 ]] || { echo "FAIL: a refused run was queued"; failures=$((failures + 1)); }
# An entry waiting in the outbox with a token that no longer works: kept, and the flush says so.
stop_server
expect 0 "submit while the server is down is queued (a second run)" \
  "$tinyperf" submit "$run2" --server "$server" --token "$token2" --machine cli-m2 --outbox "$outbox"
serve_on "127.0.0.1:$port"
expect 2 "a flush with a revoked token keeps the outbox" \
  "$tinyperf" submit --flush --server "$server" --token "$token" --outbox "$outbox"
contains "0 delivered, 1 still waiting"
expect 0 "a flush with the right token delivers it" \
  "$tinyperf" submit --flush --server "$server" --token "$token2" --outbox "$outbox"
contains "1 delivered, 0 still waiting"
expect 2 "a malformed --server" \
  "$tinyperf" submit "$run" --server "ftp://x" --token "$token" --outbox "$outbox"
expect 2 "neither RUN_DIR nor --flush" "$tinyperf" submit --server "$server" --token "$token"
stop_server

expect 0 "db runs" "$tinyperf" db runs --db "$db"
for r in 20261203T000000Z 20261204T000000Z; do
  [[ $(grep -c "$r" "$dir/out.txt") -eq 1 ]] || { echo "FAIL: run $r should be stored exactly once"; cat "$dir/out.txt"; failures=$((failures + 1)); }
done

if [[ $failures -ne 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "all server CLI checks passed"
