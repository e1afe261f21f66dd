#!/usr/bin/env bash
# The nightly job behind `cmake --build build --target nightly`: the full validation run, then
# every Google Benchmark binary with 10 repetitions (scripts/bench.sh), compared with this
# machine's committed baseline (validation_results/baselines/<fingerprint>/, see `tinyperf
# baseline`), and a Markdown summary (summary.md in the run directory; appended to
# $GITHUB_STEP_SUMMARY when set), and the trend report over all stored runs (tinyperf history);
# the run folder is then imported into the results database (tinyperf db import) and, when
# TT_SUBMIT_SERVER and TINYPERF_TOKEN are set, sent to the results server (scripts/submit_run.sh).
# With a noise profile for this machine (`tinyperf calibrate`), the comparison counts each
# benchmark's drift between runs, and the benchmarks run as many times as the profile says the
# 10% threshold needs (recommended_runs), at most TT_NIGHTLY_MAX_RUNS (default 3); the profile is
# copied into the run folder (noise.json), so it travels with the run to the results database.
# A family called a regression is run twice more before the final comparison (scripts/confirm.sh),
# so a run that was slow as a whole does not fail the night.
# Exit status: non-zero when the validation failed, a benchmark binary failed or ran zero
# benchmarks, the comparison found a regression, or the results server refused the run (a
# configuration error; a run queued in the outbox because the server was down does not count).
# Scheduling (README "Scheduling the nightly across a fleet"): tools/systemd/ (service + timer),
# tools/slurm/nightly.sbatch, or cron, e.g. (submit.env holds TT_SUBMIT_SERVER= and TINYPERF_TOKEN=):
#   0 3 * * *  cd /path/to/repo && set -a && . /etc/tinytorch/submit.env && set +a && scripts/build.sh && cmake --build build --target nightly
# After reviewing a run, make it the baseline: build/bin/tinyperf baseline update validation_results/latest
set -uo pipefail
cd "$(dirname "$0")/.."

build="${TT_BUILD_DIR:-build}"
source scripts/references.sh
tt_references "$build"
tinyperf="$build/bin/tinyperf"
before=$(readlink validation_results/latest 2>/dev/null || true)
TT_DB_IMPORT=0 scripts/run_all.sh  # imported below, with the benchmarks
status=$?
# The run folder is the one run_all just made: if it stopped before making one, `latest` still
# names last night's, which must not be written into, imported or submitted again.
latest=$(readlink validation_results/latest 2>/dev/null || true)
if [[ -z $latest || $latest == "$before" ]]; then
  echo "nightly: run_all (exit $status) made no new run folder; nothing benchmarked or submitted" >&2
  exit 1
fi
run_dir="validation_results/$latest"
fingerprint=$("$tinyperf" baseline fingerprint)
baseline="validation_results/baselines/$fingerprint/bench"
profile="validation_results/baselines/$fingerprint/noise.json"
noise=()
runs=1
if [[ -f "$profile" ]]; then
  noise=(--noise "$profile")
  # The run carries the profile it was compared with: the results database and server take this
  # machine's measured false-alarm rate from it for the fleet verdicts (perf_store/fleet.h).
  cp "$profile" "$run_dir/noise.json"
  wanted=$("$tinyperf" baseline runs "$profile")
  runs=$(( ${wanted:-1} < ${TT_NIGHTLY_MAX_RUNS:-3} ? ${wanted:-1} : ${TT_NIGHTLY_MAX_RUNS:-3} ))
  (( runs >= 1 )) || runs=1
  echo "nightly: $runs benchmark run(s): the noise profile asks for ${wanted:-?} (cap TT_NIGHTLY_MAX_RUNS=${TT_NIGHTLY_MAX_RUNS:-3})"
fi
TT_BENCH_RUNS=$runs scripts/bench.sh "$run_dir/bench" || status=1

compare_status=0
if [[ -d "$baseline" ]]; then
  # A regression counts only if it survives more runs of its family (scripts/confirm.sh).
  scripts/confirm.sh "$baseline" "$run_dir/bench" "$build/bin" "${noise[@]}" || status=1
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
    # Shown, not a verdict: the differences mix code and hardware, so they do not fail the night.
    "$tinyperf" compare "$other" "$run_dir/bench" --format markdown >>"$run_dir/compare.md" 2>&1
  else
    echo "No timing baseline for this machine ($fingerprint): nothing to compare with. After" \
         "review, promote this run with \`build/bin/tinyperf baseline update $run_dir\`." \
         >"$run_dir/compare.md"
  fi
fi
[[ $compare_status -eq 0 ]] || status=1
# The trend over every stored run, with change points (validation_results/history.md and .html).
"$tinyperf" history validation_results >"$run_dir/history.log" 2>&1 ||
  echo "nightly: tinyperf history exited $? (see $run_dir/history.log)"

{
  echo "## Nightly $(basename "$run_dir") ($(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
  echo
  grep -E "^\| (contracts|published claims) \|" "$run_dir/claims.md" | sed '1i | kind | PASS | PARTIAL | FAIL | ERROR |\n|---|---|---|---|---|' || true
  echo
  cat "$run_dir/compare.md"
  echo
  echo "Full report: $run_dir/report.md and report.html; trends: validation_results/history.html"
} >"$run_dir/summary.md"
[[ -n "${GITHUB_STEP_SUMMARY:-}" ]] && cat "$run_dir/summary.md" >>"$GITHUB_STEP_SUMMARY"
# The whole run, benchmarks included, into the results database (README "Results database"). A
# failed import is reported and does not fail the night; the run folder stays as it is.
"$tinyperf" db import "$run_dir" --db "${TT_DB_URL:-sqlite:validation_results/perf.db}" ||
  echo "nightly: importing $run_dir into the results database failed (the run folder is kept)"
# The results server, when configured (scripts/submit_run.sh's header says which exits count).
scripts/submit_run.sh "$run_dir" || status=1
cat "$run_dir/summary.md"
echo "nightly: exit $status"
exit $status
