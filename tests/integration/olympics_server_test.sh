#!/usr/bin/env bash
# The Olympics on the results server end to end, as the README walks through it: the instructor
# creates events and athlete tokens, students submit with `tinyperf olympics submit --server`, a
# verification worker (`tinyperf serve --worker --drain`) re-measures every submission, a forged
# one (a size edited after submit measured it) is rejected, and every refusal has its 4xx; the
# leaderboard as JSON, as a page, and published, loaded in headless Chromium (DOM and screenshot).
#   olympics_server_test.sh <tinyperf> <scratch dir>
set -uo pipefail
tinyperf=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
source "$(dirname "$0")/cli_expect.sh"
source "$(dirname "$0")/serve_on.sh"
source "$(dirname "$0")/chromium.sh"
db="sqlite:$dir/perf.db"
trap '[[ -n "${server_pid:-}" ]] && kill "$server_pid" 2>/dev/null' EXIT

"$tinyperf" db init --db "$db" >/dev/null || fail "db init"
expect 0 "event create" "$tinyperf" olympics event create --db "$db" --event latency_sprint \
  --deadline 2999-01-01T00:00:00Z --limit 3
expect 0 "a closed event" "$tinyperf" olympics event create --db "$db" --event memory_challenge \
  --deadline 2001-01-01T00:00:00Z
expect 2 "the same event twice" "$tinyperf" olympics event create --db "$db" \
  --event latency_sprint --deadline 2999-01-01T00:00:00Z
contains "already exists"
ada='Ada <b>"L"</b> & co'
ada_token=$("$tinyperf" token add --db "$db" --athlete "$ada" 2>/dev/null)
bob_token=$("$tinyperf" token add --db "$db" --athlete bob 2>/dev/null)
[[ ${#ada_token} -eq 64 && ${#bob_token} -eq 64 ]] || fail "athlete tokens are not 64 hex digits"

serve_on 127.0.0.1:0
url="http://127.0.0.1:$port"
measure=(--epochs 5 --latency-seconds 0.3)
expect 0 "submit to the server" "$tinyperf" olympics submit --event latency_sprint \
  --athlete "$ada" --technique prune=0.5 --technique int8 "${measure[@]}" --out "$dir/ada.json" \
  --server "$url" --token "$ada_token"
contains "queued as submission"
# The forgery: the baseline's size edited after submit measured it (half as large again: a
# compression it never had, still within the plausible, so only re-measurement can tell).
size=$(grep -o '"size_bytes": [0-9]*' "$dir/ada.json" | head -1 | grep -o '[0-9]*$')
forged_size=$((size * 3 / 2))
sed "0,/\"size_bytes\": $size/s//\"size_bytes\": $forged_size/" "$dir/ada.json" >"$dir/forged.json"
cmp -s "$dir/ada.json" "$dir/forged.json" && fail "the forgery changed nothing"
expect 0 "a forged submission is queued" "$tinyperf" olympics submit --from "$dir/forged.json" \
  --server "$url" --token "$ada_token"
expect 1 "bob submits under ada's name" "$tinyperf" olympics submit --from "$dir/ada.json" \
  --server "$url" --token "$bob_token"
contains "HTTP 403"
expect 0 "ada's third" "$tinyperf" olympics submit --from "$dir/ada.json" --server "$url" \
  --token "$ada_token"
expect 1 "ada's fourth is over the limit" "$tinyperf" olympics submit --from "$dir/ada.json" \
  --server "$url" --token "$ada_token"
contains "HTTP 409"
contains "field limit"
expect 1 "a revoked-looking token" "$tinyperf" olympics submit --from "$dir/ada.json" \
  --server "$url" --token "$(printf 'f%.0s' {1..64})"
contains "HTTP 401"

# The raw protocol: refusals as JSON with the field at fault.
post() {  # post EVENT TOKEN BODY_FILE -> status in $code, body in $dir/answer.json
  code=$(curl -s -o "$dir/answer.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
    --data-binary "@$3" "$url/api/v1/olympics/$1/submissions")
}
printf '{"schema": 1' >"$dir/malformed.json"
post latency_sprint "$bob_token" "$dir/malformed.json"
[[ $code == 400 ]] && grep -q '"field":"body"' "$dir/answer.json" || fail "malformed: $code $(cat "$dir/answer.json")"
post memory_challenge "$bob_token" "$dir/ada.json"
[[ $code == 403 ]] && grep -q '"field":"deadline"' "$dir/answer.json" || fail "after the deadline: $code"
post no_such_event "$bob_token" "$dir/ada.json"
[[ $code == 404 ]] || fail "unknown event: $code"
head -c 300000 /dev/zero | tr '\0' ' ' >"$dir/huge.json"
post latency_sprint "$bob_token" "$dir/huge.json"
[[ $code == 413 ]] || fail "a 300 KB body: $code, expected 413"
# Another athlete can neither read nor change ada's pending submission.
code=$(curl -s -o "$dir/answer.json" -w '%{http_code}' -H "Authorization: Bearer $bob_token" \
  "$url/api/v1/olympics/latency_sprint/submissions/1")
[[ $code == 404 ]] || fail "bob read ada's submission: $code"
code=$(curl -s -o "$dir/answer.json" -w '%{http_code}' -H "Authorization: Bearer $ada_token" \
  "$url/api/v1/olympics/latency_sprint/submissions/1")
[[ $code == 200 ]] && grep -q '"status":"pending"' "$dir/answer.json" || fail "ada's own: $code"
grep -q '"fingerprint":"unknown"' "$dir/answer.json" && fail "no machine and build fingerprint stored"
grep -q '"recipe":{"epochs":5,"seed":42,"techniques":\["prune=0.5","int8"\]}' "$dir/answer.json" ||
  fail "the recipe is not stored: $(cat "$dir/answer.json")"
code=$(curl -s -o "$dir/answer.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $bob_token" \
  --data-binary "@$dir/forged.json" "$url/api/v1/olympics/latency_sprint/submissions/1")
[[ $code == 405 ]] || fail "PUT on a submission: $code, expected 405"

# Two workers drain the queue; each submission is verified by one of them.
for w in 1 2; do
  "$tinyperf" serve --worker --drain --db "$db" --worker-id "w$w" --latency-seconds 0.3 \
    >"$dir/worker$w.log" 2>&1 &
  eval "worker$w=\$!"
done
wait "$worker1" || fail "worker 1 exited $?"
wait "$worker2" || fail "worker 2 exited $?"
cat "$dir"/worker*.log
finished=$(cat "$dir"/worker*.log | grep -c '^submission [0-9]* ')
[[ $finished -eq 3 ]] || fail "$finished submissions finished by the workers, expected 3"
expect 0 "event list" "$tinyperf" olympics event list --db "$db"
contains "pending 0 running 0 verified 2 rejected 1 error 0"
grep -h "rejected: claimed baseline size $forged_size bytes" "$dir"/worker*.log >/dev/null ||
  fail "the forgery was not rejected for its size"

code=$(curl -s -o "$dir/board.json" -w '%{http_code}' "$url/api/v1/olympics/latency_sprint/leaderboard")
[[ $code == 200 ]] && grep -q '"rank":1' "$dir/board.json" || fail "leaderboard JSON: $code"
code=$(curl -s -o "$dir/events.json" -w '%{http_code}' "$url/api/v1/olympics/events")
[[ $code == 200 ]] && grep -q '"max_submissions":3,"name":"latency_sprint"' "$dir/events.json" ||
  fail "events JSON: $code $(cat "$dir/events.json")"
code=$(curl -s -o "$dir/answer.json" -w '%{http_code}' "$url/api/v1/olympics/latency_sprint/leaderboard?x=1")
[[ $code == 400 ]] && grep -q '"field":"x"' "$dir/answer.json" || fail "an unknown parameter: $code"
code=$(curl -s -o "$dir/answer.json" -w '%{http_code}' "$url/olympics/no_such_event")
[[ $code == 404 ]] || fail "the page of an unknown event: $code"
code=$(curl -s -o "$dir/page.html" -w '%{http_code}' "$url/olympics/latency_sprint")
[[ $code == 200 ]] || fail "leaderboard page: $code"
grep -q 'Ada &lt;b&gt;&quot;L&quot;&lt;/b&gt; &amp; co' "$dir/page.html" || fail "the name is not escaped on the page"
grep -q '<b>"L"' "$dir/page.html" && fail "the raw name reached the page"

kill "$server_pid" && wait "$server_pid" 2>/dev/null
server_pid=
expect 0 "publish" "$tinyperf" olympics publish --db "$db" --out "$dir/site"
html="$dir/site/latency_sprint.html"
if [[ -z "$chromium_bin" ]]; then
  fail "chromium is not installed (scripts/setup-deps.sh installs it)"
else
  chromium_dom "$html" "$dir/dom.html" "$dir/browser.log"
  rows=$(grep -o '<tr class="entry" data-rank="1">' "$dir/dom.html" | wc -l)
  [[ $rows -eq 1 ]] || fail "$rows ranked rows in the DOM, expected 1 (ada's best)"
  items=$(grep -o '<li data-id=' "$dir/dom.html" | wc -l)
  [[ $items -eq 3 ]] || fail "$items submissions in ada's history, expected 3"
  grep -q 'class="status-rejected">rejected' "$dir/dom.html" || fail "the rejected forgery is not in the history"
  grep -q 'id="rank-rule"' "$dir/dom.html" || fail "no rank rule stated"
  grep -q '<td class="score">[0-9.]* \[[0-9.]*, [0-9.]*\]' "$dir/dom.html" || fail "no score with its interval"
  grep -q '<b>"L"' "$dir/dom.html" && fail "the name became markup in the DOM"
  chromium_screenshot "$html" "$dir/olympics.png"
fi

if [[ $failures -ne 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "olympics server checks passed (3 verified or rejected by 2 workers; screenshot $dir/olympics.png)"
