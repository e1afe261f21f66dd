#!/usr/bin/env bash
# The nightly job behind `cmake --build build --target nightly`: the full validation run, then
# every Google Benchmark binary with repetitions (5 per benchmark), compared with this machine's
# committed baseline (validation_results/baselines/<fingerprint>/, see `tinyperf baseline`), and
# a Markdown summary (summary.md in the run directory; appended to $GITHUB_STEP_SUMMARY when set).
# With a noise profile for this machine (`tinyperf calibrate --rounds 1 --repetitions 5`, matching
# these single runs), the comparison warns where noise is larger than the 10% threshold.
# Exit status: non-zero when the validation failed, a benchmark binary failed or ran zero
# benchmarks, or the comparison found a regression.
# Cron, e.g.:  0 3 * * *  cd /path/to/repo && scripts/build.sh && cmake --build build --target nightly
# After reviewing a run, make it the baseline: build/bin/tinyperf baseline update validation_results/latest
set -uo pipefail
cd "$(dirname "$0")/.."

build="${TT_BUILD_DIR:-build}"
tinyperf="$build/bin/tinyperf"
scripts/run_all.sh
status=$?
run_dir="validation_results/$(readlink validation_results/latest)"
mkdir -p "$run_dir/bench"
for bench in "$build"/bin/*_bench; do
  name=$(basename "$bench")
  echo "nightly: $name (5 repetitions)"
  if ! "$bench" --benchmark_repetitions=5 --benchmark_min_time=0.1 \
       --benchmark_out="$run_dir/bench/$name.json" --benchmark_out_format=json \
       >"$run_dir/bench/$name.txt" 2>&1; then
    echo "nightly: $name failed (see $run_dir/bench/$name.txt)"
    status=1
  elif ! grep -q '"run_type": "iteration"' "$run_dir/bench/$name.json"; then
    # A filter or registration mistake must not pass as "no regressions".
    echo "nightly: $name ran zero benchmarks"
    status=1
  fi
done

fingerprint=$("$tinyperf" baseline fingerprint)
baseline="validation_results/baselines/$fingerprint/bench"
compare_status=0
noise=()
[[ -f "validation_results/baselines/$fingerprint/noise.json" ]] &&
  noise=(--noise "validation_results/baselines/$fingerprint/noise.json")
if [[ -d "$baseline" ]]; then
  "$tinyperf" compare "$baseline" "$run_dir/bench" --format markdown "${noise[@]}" \
    >"$run_dir/compare.md" 2>&1
  compare_status=$?
else
  other=$(ls -d validation_results/baselines/*/bench 2>/dev/null | head -1)
  if [[ -n "$other" ]]; then
    {
      echo "> **Warning:** no baseline for this machine ($fingerprint); compared with $other from"
      echo "> another machine, so the changes below mix code and hardware."
      echo
    } >"$run_dir/compare.md"
    "$tinyperf" compare "$other" "$run_dir/bench" --format markdown >>"$run_dir/compare.md" 2>&1
    compare_status=$?
  else
    echo "No timing baseline for this machine ($fingerprint): nothing to compare with. After" \
         "review, promote this run with \`build/bin/tinyperf baseline update $run_dir\`." \
         >"$run_dir/compare.md"
  fi
fi
[[ $compare_status -eq 0 ]] || status=1

{
  echo "## Nightly $(basename "$run_dir") ($(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
  echo
  grep -E "^\| (contracts|published claims) \|" "$run_dir/claims.md" | sed '1i | kind | PASS | PARTIAL | FAIL | ERROR |\n|---|---|---|---|---|' || true
  echo
  cat "$run_dir/compare.md"
  echo
  echo "Full report: $run_dir/report.md and report.html"
} >"$run_dir/summary.md"
[[ -n "${GITHUB_STEP_SUMMARY:-}" ]] && cat "$run_dir/summary.md" >>"$GITHUB_STEP_SUMMARY"
cat "$run_dir/summary.md"
echo "nightly: exit $status"
exit $status
