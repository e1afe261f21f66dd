#!/usr/bin/env bash
# The nightly's last step, usable alone: sends one run folder to the results server
# (README "Results server") when one is configured, through `tinyperf submit`.
#   scripts/submit_run.sh RUN_DIR
# Configuration is the environment only (a systemd unit loads it with EnvironmentFile=, cron
# with `. /etc/tinytorch/submit.env`; the token is never put on a command line or printed):
#   TT_SUBMIT_SERVER   http://HOST:PORT of `tinyperf serve`; unset or empty: nothing is sent
#   TINYPERF_TOKEN     this machine's token (`tinyperf token add`), read by tinyperf itself
#   TT_SUBMIT_MACHINE  the token's machine name (default: the host name)
#   TT_SUBMIT_OUTBOX   where runs wait for the server (default: validation_results/outbox)
#   TT_BUILD_DIR       the build holding bin/tinyperf (default: build)
# Exit status: 0 not configured, stored, already stored, or queued in the outbox (the server was
# unreachable or busy; the next submit sends it, so the night does not fail for it); 2 a
# configuration error the operator must see: a server without a token, or a submission the
# server refused (401/403/400/413: not queued, it will not go through by itself); 1 the outbox
# cannot be written (the run would otherwise be lost).
set -uo pipefail
if [[ $# -ne 1 || ! -d "$1" ]]; then
  echo "usage: scripts/submit_run.sh RUN_DIR (an existing run folder)" >&2
  exit 2
fi
run_dir=$(realpath "$1")
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -z "${TT_SUBMIT_SERVER:-}" ]]; then
  echo "submit: no results server configured (TT_SUBMIT_SERVER unset): $run_dir stays local"
  exit 0
fi
if [[ -z "${TINYPERF_TOKEN:-}" ]]; then
  echo "submit: TT_SUBMIT_SERVER is set but TINYPERF_TOKEN is not: $run_dir was not sent" >&2
  exit 2
fi
export TINYPERF_TOKEN
args=(submit "$run_dir" --server "$TT_SUBMIT_SERVER")
[[ -n "${TT_SUBMIT_MACHINE:-}" ]] && args+=(--machine "$TT_SUBMIT_MACHINE")
[[ -n "${TT_SUBMIT_OUTBOX:-}" ]] && args+=(--outbox "$TT_SUBMIT_OUTBOX")
"${TT_BUILD_DIR:-build}/bin/tinyperf" "${args[@]}"
status=$?
case $status in
  0) ;;  # tinyperf's own line says stored, already stored, or queued
  2) echo "submit: the server refused $run_dir or the configuration is wrong (see above); not queued" >&2 ;;
  *) echo "submit: $run_dir could not be queued (tinyperf submit exited $status)" >&2 ;;
esac
exit $status
