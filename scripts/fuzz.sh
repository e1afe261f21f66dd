#!/usr/bin/env bash
# Fuzzes every file reader (tests/fuzz/) under ASan + UBSan: configures and builds the fuzz preset
# (clang, libFuzzer), then runs each harness in turn for the given time from its committed seed
# corpus. Any finding — crash, sanitizer report, unexpected exception type, an input slower than
# the timeout, more memory than the limit — fails the script and leaves the reproducer as
# build-fuzz/findings/<harness>/crash-* (rerun: build-fuzz/bin/<harness>_fuzzer FILE).
#   scripts/fuzz.sh            10 s per harness (about two minutes with the build cached)
#   scripts/fuzz.sh 600        ten minutes per harness
#   scripts/fuzz.sh --replay   every committed seed once, no mutation: deterministic, so CI runs it
#                              (a reader that regressed on a seed that once found a bug fails it).
#                              It needs no clang: the harnesses link replay_main.cc in the asan
#                              preset, whose libraries `test.sh --asan` has built, with the same
#                              limits (build-asan/bin/<harness>_replay FILE reruns one).
# New inputs that reach new code go to build-fuzz/corpus/<reader>/, never into the committed seeds.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
replay=0
if [[ "$seconds" == --replay ]]; then
  replay=1
elif ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz: usage: scripts/fuzz.sh [SECONDS | --replay]" >&2
  exit 2
fi
# One input taking longer than this is a hang; a file must not make a reader allocate more than
# this at once, or hold more than this resident. The same limits for the replay and the fuzzing.
timeout_s=10 malloc_mb=1024 rss_mb=2048
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=()
if (( replay )); then
  scripts/build.sh asan --target tt_all_fuzzers
  # libFuzzer's -malloc_limit_mb, -rss_limit_mb and -timeout, kept without it.
  export ASAN_OPTIONS="$ASAN_OPTIONS:max_allocation_size_mb=$malloc_mb:hard_rss_limit_mb=$rss_mb"
  export TT_REPLAY_TIMEOUT=$timeout_s
  where=build-asan/fuzz-replay
  mkdir -p "$where"
  for seeds in tests/fuzz/corpus/*/; do
    reader=$(basename "$seeds")
    echo "fuzz: $reader: replaying $(find "$seeds" -type f | wc -l) seeds"
    if ! find "$seeds" -type f -print0 |
         xargs -0 build-asan/bin/"${reader}"_replay >"$where/$reader.log" 2>&1; then
      failed+=("$reader")
      tail -n 40 "$where/$reader.log" >&2
    fi
  done
else
  scripts/setup-deps.sh --fuzz
  if ! log=$(cmake --preset fuzz 2>&1); then
    echo "$log" >&2
    exit 1
  fi
  cmake --build --preset fuzz -j "$(nproc)"
  where=build-fuzz/findings
  for seeds in tests/fuzz/corpus/*/; do
    reader=$(basename "$seeds")
    work=build-fuzz/corpus/$reader findings=$where/$reader
    mkdir -p "$work" "$findings"
    echo "fuzz: $reader for ${seconds}s"
    # The seed files are up to 12 KB: -max_len above it.
    if ! build-fuzz/bin/"${reader}"_fuzzer "$work" "$seeds" -max_total_time="$seconds" \
         -timeout="$timeout_s" -rss_limit_mb="$rss_mb" -malloc_limit_mb="$malloc_mb" \
         -max_len=16384 -artifact_prefix="$findings/" -print_final_stats=1 >"$findings/log" 2>&1
    then
      failed+=("$reader")
      tail -n 40 "$findings/log" >&2
    fi
    grep -E "^(stat::number_of_executed_units|Done [0-9]+ runs)" "$findings/log" || true
  done
fi
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: findings in: ${failed[*]} (logs and reproducers in $where/)" >&2
  exit 1
fi
echo "fuzz: no findings"
