#!/usr/bin/env bash
# A simulated class on loopback: STUDENTS athletes each post SUBMISSIONS submissions at once (every
# third one forged: its baseline size edited), then WORKERS verification workers drain the queue.
# Checks that every submission reaches a final status, none is lost or finished twice, every
# forgery is rejected, one over the limit is refused (409), a body over the limit too (413), and
# one athlete's burst of requests is rate-limited (429).
# Prints the drain time: a figure only on a machine nobody else is using. The database is a fresh
# SQLite file, or $OLYMPICS_TEST_DB (an emptied PostgreSQL: postgres_olympics_test.sh).
#   olympics_class_test.sh <tinyperf> <scratch dir> [STUDENTS SUBMISSIONS WORKERS]
# ctest runs 6 x 2 with 2 workers; scripts/olympics_class.sh runs the course's 300 x 5 with 1 and 2.
set -uo pipefail
tinyperf=$1
dir=$2
students=${3:-6}
per_student=${4:-2}
workers=${5:-2}
rm -rf "$dir" && mkdir -p "$dir/subs"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
source "$(dirname "$0")/serve_on.sh"
db=${OLYMPICS_TEST_DB:-sqlite:$dir/perf.db}
trap '[[ -n "${server_pid:-}" ]] && kill "$server_pid" 2>/dev/null' EXIT

"$tinyperf" db init --db "$db" >/dev/null || fail "db init"
"$tinyperf" olympics event create --db "$db" --event latency_sprint \
  --deadline 2999-01-01T00:00:00Z --limit "$per_student" >/dev/null || fail "event create"
# One measured submission; every student's copy names them (the recipe is the same, so each
# re-measurement must agree with it).
"$tinyperf" olympics submit --event latency_sprint --athlete template --technique int8 \
  --epochs 5 --latency-seconds 0.3 --out "$dir/template.json" >/dev/null || fail "submit"
size=$(grep -o '"size_bytes": [0-9]*' "$dir/template.json" | head -1 | grep -o '[0-9]*$')
forged=0
for s in $(seq "$students"); do
  token=$("$tinyperf" token add --db "$db" --athlete "student$s" 2>/dev/null)
  for k in $(seq "$per_student"); do
    f="$dir/subs/$s.$k.json"
    sed "s/\"athlete\": \"template\"/\"athlete\": \"student$s\"/" "$dir/template.json" >"$f"
    # The first one's environment carries a NUL and an escape, which its fingerprint must not
    # take to the database (PostgreSQL's text refuses a NUL).
    if (( s == 1 && k == 1 )); then
      sed -i 's/"build_type": "[^"]*"/"build_type": "\\u0000\\u001b[31m"/' "$f"
      grep -q 'u0000' "$f" || fail "the hostile build_type was not written"
    fi
    if (( (s * per_student + k) % 3 == 0 )); then
      sed -i "0,/\"size_bytes\": $size/s//\"size_bytes\": $((size * 3 / 2))/" "$f"
      forged=$((forged + 1))
    fi
    echo "$token $f" >>"$dir/plan.txt"
  done
  echo "$token" >"$dir/last_token"
done
total=$((students * per_student))

# A burst that covers each student's submissions and the refusals below, and a refill of one a
# minute: the rate limit's answers do not depend on how fast this machine is.
burst=$((per_student + 3))
serve_on 127.0.0.1:0 --burst "$burst" --rate-per-minute 1
url="http://127.0.0.1:$port"
post() {  # post TOKEN FILE: prints the HTTP status. One key per file: a student's copies are
          # the same bytes, and without a key the server would take them for one (the hash).
  curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer $1" \
    -H "Idempotency-Key: $(basename "$2")" \
    -H 'Content-Type: application/json' --data-binary "@$2" \
    "$url/api/v1/olympics/latency_sprint/submissions"
}
export -f post
export url
xargs -P 8 -L 1 bash -c 'post "$0" "$1"' <"$dir/plan.txt" >"$dir/codes.txt"
accepted=$(grep -c '^202$' "$dir/codes.txt")
[[ $accepted -eq $total ]] || fail "$accepted of $total submissions accepted: $(sort "$dir/codes.txt" | uniq -c | tr '\n' ' ')"
code=$(post "$(cat "$dir/last_token")" "$dir/template.json")
[[ $code == 403 ]] || fail "a submission under another athlete's name: $code, expected 403"
sed "s/\"athlete\": \"template\"/\"athlete\": \"student$students\"/" "$dir/template.json" >"$dir/extra.json"
code=$(post "$(cat "$dir/last_token")" "$dir/extra.json")
[[ $code == 409 ]] || fail "a submission over the limit: $code, expected 409"
head -c 300000 /dev/zero | tr '\0' ' ' >"$dir/huge.json"
code=$(post "$(cat "$dir/last_token")" "$dir/huge.json")
[[ $code == 413 ]] || fail "a 300 KB body: $code, expected 413"
# The rate limit holds per athlete: of 40 requests at once from one token, the burst passes (to
# be refused as malformed), the rest are 429 before their bodies are read.
spam_token=$("$tinyperf" token add --db "$db" --athlete spammer 2>/dev/null)
printf '{"schema": 1' >"$dir/malformed.json"
for _ in $(seq 40); do echo "$spam_token $dir/malformed.json"; done >"$dir/spam.txt"
xargs -P 8 -L 1 bash -c 'post "$0" "$1"' <"$dir/spam.txt" >"$dir/spam_codes.txt"
limited=$(grep -c '^429$' "$dir/spam_codes.txt")
malformed=$(grep -c '^400$' "$dir/spam_codes.txt")
[[ $malformed -eq $burst && $limited -eq $((40 - burst)) ]] ||
  fail "40 requests at once: $limited answered 429 and $malformed 400 ($(sort "$dir/spam_codes.txt" | uniq -c | tr '\n' ' '))"

start=$(date +%s.%N)
pids=()
for w in $(seq "$workers"); do
  "$tinyperf" serve --worker --drain --db "$db" --worker-id "w$w" --latency-seconds 0.3 \
    >"$dir/worker$w.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a worker exited $?"; done
end=$(date +%s.%N)
finished=$(cat "$dir"/worker*.log | grep -c '^submission [0-9]* ')
distinct=$(cat "$dir"/worker*.log | grep -o '^submission [0-9]* ' | sort -u | wc -l)
[[ $finished -eq $total ]] || fail "$finished submissions finished, $total accepted"
[[ $distinct -eq $finished ]] || fail "$((finished - distinct)) submissions finished twice"
rejected=$(cat "$dir"/worker*.log | grep -c ': rejected: claimed baseline size')
[[ $rejected -eq $forged ]] || fail "$rejected rejected for their size, $forged forged"
"$tinyperf" olympics event list --db "$db" >"$dir/list.txt"
grep -q "pending 0 running 0 verified $((total - forged)) rejected $forged error 0" "$dir/list.txt" ||
  fail "queue not drained as expected: $(cat "$dir/list.txt")"

if [[ $failures -ne 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "olympics class: $students students x $per_student submissions, $workers worker(s):" \
     "$total verified or rejected once each ($forged forgeries rejected);" \
     "queue drained in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s"
