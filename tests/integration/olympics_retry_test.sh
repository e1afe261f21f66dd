#!/usr/bin/env bash
# A submission is stored once however often it is sent: the same Idempotency-Key twice, and from 8
# clients at once, gives one submission counted once against the limit; the key with other bytes
# is 409 naming the header. Then `tinyperf olympics submit` against a server that is gone: it
# retries, keeps the submission in the outbox, and --flush delivers it to the server once back,
# exactly once even when a flush's answer is lost and the entry is sent again.
#   olympics_retry_test.sh <tinyperf> <scratch dir>
set -uo pipefail
tinyperf=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
source "$(dirname "$0")/cli_expect.sh"
source "$(dirname "$0")/serve_on.sh"
db="sqlite:$dir/perf.db"
trap '[[ -n "${server_pid:-}" ]] && kill "$server_pid" 2>/dev/null' EXIT

"$tinyperf" db init --db "$db" >/dev/null || fail "db init"
expect 0 "event create" "$tinyperf" olympics event create --db "$db" --event latency_sprint \
  --deadline 2999-01-01T00:00:00Z --limit 3
token=$("$tinyperf" token add --db "$db" --athlete cat 2>/dev/null)
expect 0 "measure a submission" "$tinyperf" olympics submit --event latency_sprint --athlete cat \
  --technique int8 --epochs 2 --latency-seconds 0.2 --out "$dir/cat.json"
# Other bytes, the same submission to the parser: what a client must not send under one key.
{ cat "$dir/cat.json"; echo " "; } >"$dir/cat_other_bytes.json"
pending() {  # the event's pending count, from the instructor's listing
  "$tinyperf" olympics event list --db "$db" | sed -n 's/.*pending \([0-9]*\) .*/\1/p'
}

serve_on 127.0.0.1:0 --burst 50
url="http://127.0.0.1:$port"
post() {  # post KEY BODY_FILE ANSWER_FILE: prints the HTTP status
  curl -s -o "$3" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
    -H "Idempotency-Key: $1" -H 'Content-Type: application/json' --data-binary "@$2" \
    "$url/api/v1/olympics/latency_sprint/submissions"
}
id_of() { sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$1"; }

code=$(post key-1 "$dir/cat.json" "$dir/a1.json")
[[ $code == 202 ]] || fail "the first POST: $code $(cat "$dir/a1.json")"
code=$(post key-1 "$dir/cat.json" "$dir/a2.json")
[[ $code == 200 ]] && grep -q '"created":false' "$dir/a2.json" &&
  grep -q '"status":"pending"' "$dir/a2.json" || fail "the retry: $code $(cat "$dir/a2.json")"
[[ -n "$(id_of "$dir/a1.json")" && "$(id_of "$dir/a1.json")" == "$(id_of "$dir/a2.json")" ]] ||
  fail "the retry answered another id: $(cat "$dir/a1.json") / $(cat "$dir/a2.json")"
code=$(post key-1 "$dir/cat_other_bytes.json" "$dir/a3.json")
[[ $code == 409 ]] && grep -q '"field":"Idempotency-Key"' "$dir/a3.json" ||
  fail "the key with other bytes: $code $(cat "$dir/a3.json")"
[[ $(pending) == 1 ]] || fail "$(pending) pending after a POST, its retry and a reused key, expected 1"

# 8 clients at once with one key: one stored (202), seven answered with it (200).
clients=()
for i in $(seq 8); do
  post key-2 "$dir/cat_other_bytes.json" "$dir/c$i.json" >"$dir/c$i.code" &
  clients+=($!)
done
wait "${clients[@]}"  # not the server's
[[ $(cat "$dir"/c*.code | tr -d '\n') =~ ^(200)*202(200)*$ ]] ||
  fail "8 concurrent POSTs with one key: $(cat "$dir"/c*.code | tr '\n' ' '), expected one 202"
[[ $(for i in $(seq 8); do id_of "$dir/c$i.json"; done | sort -u | wc -l) == 1 ]] ||
  fail "8 concurrent POSTs with one key answered different ids"
[[ $(pending) == 2 ]] || fail "$(pending) pending after 8 concurrent POSTs of one key, expected 2"
# The limit (3) counted each key once: one more fits, then 409 for the limit, not a retry.
code=$(post key-3 "$dir/cat.json" "$dir/a4.json")
[[ $code == 202 ]] || fail "the third submission: $code $(cat "$dir/a4.json")"
code=$(post key-4 "$dir/cat.json" "$dir/a5.json")
[[ $code == 409 ]] && grep -q '"field":"limit"' "$dir/a5.json" || fail "over the limit: $code"
code=$(post key-1 "$dir/cat.json" "$dir/a6.json")
[[ $code == 200 ]] || fail "a retry at the limit: $code $(cat "$dir/a6.json")"

# The client: the server is gone, so submit retries (1 + 2 + 4 s) and keeps it in the outbox.
expect 0 "a second event" "$tinyperf" olympics event create --db "$db" --event all_around \
  --deadline 2999-01-01T00:00:00Z --limit 1
sed 's/"event": "latency_sprint"/"event": "all_around"/' "$dir/cat.json" >"$dir/cat_all.json"
kill "$server_pid" && wait "$server_pid" 2>/dev/null
server_pid=
outbox="$dir/outbox"
expect 0 "submit to a server that is gone" "$tinyperf" olympics submit --from "$dir/cat_all.json" \
  --server "$url" --token "$token" --outbox "$outbox"
contains "not yet delivered: waiting in"
entries=("$outbox"/olympics/all_around/*.json)
[[ ${#entries[@]} -eq 1 && -f ${entries[0]} ]] || fail "outbox: ${entries[*]}, expected one entry"
cp "${entries[0]}" "$dir/entry.copy"
serve_on 127.0.0.1:0
url="http://127.0.0.1:$port"
expect 0 "flush to the server, back" "$tinyperf" olympics submit --flush --server "$url" \
  --token "$token" --outbox "$outbox"
contains "1 delivered, 0 still waiting, 0 refused"
[[ ! -e ${entries[0]} ]] || fail "the delivered entry is still in the outbox"
# The flush's answer was lost after the server stored it: the entry is sent again, same key. The
# event's limit is 1, so a second copy would be refused; the retry is answered with the first.
cp "$dir/entry.copy" "${entries[0]}"
expect 0 "flush the same entry again" "$tinyperf" olympics submit --flush --server "$url" \
  --token "$token" --outbox "$outbox"
contains "1 delivered, 0 still waiting, 0 refused"
n=$("$tinyperf" olympics event list --db "$db" | grep '^all_around' | sed -n 's/.*pending \([0-9]*\) .*/\1/p')
[[ $n == 1 ]] || fail "$n submissions of all_around after two flushes of one entry, expected 1"
expect 0 "flush an empty outbox" "$tinyperf" olympics submit --flush --server "$url" \
  --token "$token" --outbox "$outbox"

if [[ $failures -ne 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "olympics retry checks passed (one key: 2 POSTs and 8 concurrent stored once each; the" \
     "outbox delivered once)"
