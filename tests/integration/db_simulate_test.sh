#!/usr/bin/env bash
# The store's scale benchmark at a small scale, for correctness only (its times are printed, never
# checked): 8 machines (4 AVX-512, 4 AVX2) x 30 nights x 4 benchmarks x 3 repetitions, seed 7.
# Every run and sample is read back, the two planted changes are detected on every machine that
# has them (benchmark 0 on all 8, benchmark 1 on the 4 AVX-512 ones) and nothing else, and the
# fleet verdicts say so: 8 confirmed, 4 hardware-specific, the 6 changes of the calibrated
# machines (sim-00..03) judged with their noise profiles' rates. A second simulation into the same
# database is refused (exit 2).
#   db_simulate_test.sh <tinyperf> <database URL: sqlite:PATH (made anew) or an empty PostgreSQL>
set -uo pipefail
tinyperf=$1
url=$2
if [[ $url == sqlite:* ]]; then
  path=${url#sqlite:}
  mkdir -p "$(dirname "$path")" && rm -f "$path" "$path-wal" "$path-shm"
fi
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
args=(--machines 8 --nights 30 --benchmarks 4 --repetitions 3 --seed 7)

out=$("$tinyperf" db simulate --db "$url" "${args[@]}" 2>&1)
status=$?
echo "$out"
[[ $status -eq 0 ]] || fail "db simulate exited $status"
for line in "imported: 240 runs, 2880 samples" \
            "detected: 32 series searched, 12 changes recorded" \
            "fleet verdicts: 8 confirmed, 4 hardware-specific, 0 unconfirmed" \
            "false-alarm rates: 6 from noise profiles, 6 from histories" \
            "rendered: BM_Sim/b:1, 8 charts of 30 runs each"; do
  grep -qF "$line" <<<"$out" || fail "no line '$line'"
done
"$tinyperf" db simulate --db "$url" "${args[@]}" >/dev/null 2>&1
status=$?
[[ $status -eq 2 ]] || fail "a second simulation into the same database exited $status, expected 2"

if [[ $failures -ne 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "db_simulate_test: counts and verdicts as planted"
