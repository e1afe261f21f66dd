#!/usr/bin/env bash
# tinyperf count end to end, under Valgrind, on a third-party-style benchmark binary:
# the count per iteration does not depend on the iteration count, the harness is removed, an A/A
# pair of counts is identical, 2% injected work is a regression every time, and a binary Valgrind
# cannot run fails with the cure named (not SIGILL).
#   count_cli_test.sh TINYPERF FIXTURE_BENCH
set -euo pipefail
tinyperf="$1"
fixture="$2"
command -v valgrind >/dev/null || { echo "FAIL: valgrind is not installed (scripts/setup-deps.sh)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
field() {  # field FILE BENCHMARK COUNTER -> the value (count files are dumped one key per line)
  awk -v n="$2" -v k="$3" '
    /^ *[{]/ { obj = "" }
    { obj = obj $0 "\n" }
    /^ *[}]/ && index(obj, "\"name\": \"" n "\",") {
      if (match(obj, "\"" k "\": [0-9.e+-]+")) { s = substr(obj, RSTART, RLENGTH); sub(/.*: /, "", s); print s; exit }
    }' "$1"
}

"$tinyperf" count --filter 'BM_(Work|Empty)' --out "$work/a.json" "$fixture" > "$work/a.txt"
cat "$work/a.txt"
one=$(field "$work/a.json" BM_Work instructions)
forty=$(field "$work/a.json" BM_Work/iterations:40 instructions)
empty=$(field "$work/a.json" BM_Empty instructions)
echo "BM_Work: $one per iteration at 1 iteration, $forty at 40; BM_Empty: $empty"
# 20000 LCG steps: a few instructions each, the same at any iteration count (within 0.1%).
awk -v a="$one" -v b="$forty" 'BEGIN { d = (a > b ? a - b : b - a) / a; exit !(a > 40000 && d < 0.001) }' ||
  fail "count per iteration depends on the iteration count ($one vs $forty)"
awk -v e="$empty" 'BEGIN { exit !(e < 5) }' || fail "the empty loop counts $empty instructions, harness not removed"
grep -q '"tool": "valgrind-' "$work/a.json" || fail "the context does not say how the counts were taken"

# A/A: identical, exit 0.
"$tinyperf" count --filter 'BM_(Work|Empty)' --out "$work/b.json" "$fixture" > /dev/null
"$tinyperf" compare --metric instructions "$work/a.json" "$work/b.json" > "$work/aa.txt" ||
  { cat "$work/aa.txt"; fail "A/A counts were called a regression"; }
grep -q "0 regression(s)" "$work/aa.txt" || fail "A/A comparison: $(cat "$work/aa.txt")"
[[ $(grep -c "identical" "$work/aa.txt") -ge 3 ]] || { cat "$work/aa.txt"; fail "A/A counts are not identical"; }

# 2% more work: a regression (exit 1), at +2% ± 0.1.
FIXTURE_EXTRA_PCT=2 "$tinyperf" count --filter 'BM_Work$' --out "$work/slow.json" "$fixture" > /dev/null
rc=0
"$tinyperf" compare --metric instructions --allow-missing --format json "$work/a.json" \
  "$work/slow.json" > "$work/slow.txt" || rc=$?
[[ $rc == 1 ]] || { cat "$work/slow.txt"; fail "2% injected work: compare exited $rc, not 1"; }
grep -q '"verdict": "regression"' "$work/slow.txt" || fail "no regression verdict: $(cat "$work/slow.txt")"
change=$(sed -n 's/.*"change_pct": \([0-9.e+-]*\).*/\1/p' "$work/slow.txt" | head -1)
awk -v c="$change" 'BEGIN { exit !(c > 1.9 && c < 2.1) }' || fail "2% injected work measured as $change%"
echo "2% injected work: +$change%, a regression"

# An instruction Valgrind cannot run: a clear error naming the portable preset, exit 2 (a binary
# that cannot be counted is bad input, not a finding about it).
rc=0
"$tinyperf" count --no-cache-sim --filter 'BM_Avx512' --out "$work/avx.json" "$fixture" > "$work/avx.txt" 2>&1 || rc=$?
[[ $rc == 2 ]] || { cat "$work/avx.txt"; fail "AVX-512 under Valgrind: exit $rc, not 2"; }
grep -q "cannot run" "$work/avx.txt" && grep -q "portable" "$work/avx.txt" ||
  { cat "$work/avx.txt"; fail "the AVX-512 error does not name the cure"; }

# Not a benchmark binary, and no such file: errors naming it, not a crash.
rc=0
"$tinyperf" count --out "$work/x.json" /bin/true > "$work/true.txt" 2>&1 || rc=$?
[[ $rc != 0 ]] && grep -q "no benchmark matches\|Google Benchmark" "$work/true.txt" ||
  { cat "$work/true.txt"; fail "/bin/true was accepted as a benchmark binary"; }
rc=0
"$tinyperf" count "$work/missing" > "$work/missing.txt" 2>&1 || rc=$?
[[ $rc != 0 ]] && grep -q "missing" "$work/missing.txt" || fail "a missing binary: $(cat "$work/missing.txt")"
echo "PASS"
