#!/usr/bin/env bash
# End to end through build/bin/tinyperf: two real submissions (one qualifies, one does not),
# validation, a leaderboard, and the exit codes 0 valid / 1 invalid / 2 usage.
#   olympics_cli_test.sh <tinyperf> <scratch dir>
set -uo pipefail
tinyperf=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
failures=0
source "$(dirname "${BASH_SOURCE[0]}")/cli_expect.sh"

expect 0 "int8 submission qualifies for the latency sprint" \
  "$tinyperf" olympics submit --event latency_sprint --athlete alice --technique int8 \
  --latency-seconds 0.3 --out "$dir/subs/alice.json"
contains "alice.json: valid"
expect 1 "50% structured pruning without fine-tuning falls below the accuracy floor" \
  "$tinyperf" olympics submit --event latency_sprint --athlete carol --technique structured=0.5 \
  --latency-seconds 0.3 --out "$dir/subs/carol.json"
contains "does not qualify for latency_sprint: accuracy"
expect 0 "validate a valid file" "$tinyperf" olympics validate "$dir/subs/alice.json"
expect 1 "validate a valid and an invalid file" "$tinyperf" olympics validate "$dir"/subs/*.json
contains "carol.json: INVALID"
head -c 200 "$dir/subs/alice.json" >"$dir/truncated.json"
expect 1 "validate a truncated file" "$tinyperf" olympics validate "$dir/truncated.json"
contains "not valid JSON"
expect 1 "leaderboard with a rejected submission" \
  "$tinyperf" olympics leaderboard --event latency_sprint "$dir/subs"
contains "| 1 | alice |"
contains "Rejected $dir/subs/carol.json"
# run_all includes the leaderboard in the validation report.
if [[ -n "${TT_VALIDATION_DIR:-}" ]]; then
  mkdir -p "$TT_VALIDATION_DIR" && cp "$dir/out.txt" "$TT_VALIDATION_DIR/olympics_leaderboard.md"
fi
expect 0 "leaderboard in JSON" \
  "$tinyperf" olympics leaderboard --event latency_sprint --format json "$dir/subs/alice.json"
contains '"rank": 1'
expect 0 "help" "$tinyperf" olympics leaderboard --help
expect 2 "unknown event" "$tinyperf" olympics leaderboard --event marathon "$dir/subs"
expect 2 "missing file" "$tinyperf" olympics validate "$dir/none.json"
expect 2 "unknown technique" "$tinyperf" olympics submit --event all_around --athlete x \
  --technique fp16 --out "$dir/x.json"
expect 2 "no subcommand" "$tinyperf" olympics
[[ -e "$dir/x.json" ]] && { echo "FAIL: a usage error wrote a file"; failures=$((failures + 1)); }

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
