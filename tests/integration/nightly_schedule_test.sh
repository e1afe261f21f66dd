#!/usr/bin/env bash
# What can be checked of the nightly's scheduling without systemd or Slurm running:
# - tools/systemd/'s service and timer, installed as the README says (@REPO@ replaced), use only
#   the sections and keys listed below, one KEY=VALUE a line, and pass `systemd-analyze verify`
#   when it is installed (silent: a warning fails too); the scripts they start exist;
# - tools/slurm/nightly.sbatch asks for the whole node and starts scripts that exist;
# - the nightly's submit step (scripts/submit_run.sh, which nightly.sh calls after its import)
#   end to end against a real `tinyperf serve` on loopback with a SQLite database: not configured,
#   a server without a token, stored, already stored, refused (exit 2, not queued), queued while
#   the server is down (exit 0), and the token never printed.
#   nightly_schedule_test.sh <tinyperf> <source dir> <scratch dir>
set -uo pipefail
tinyperf=$(realpath "$1")
src=$(realpath "$2")
dir=$3
rm -rf "$dir" && mkdir -p "$dir" && dir=$(realpath "$dir")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# --- the unit files ---------------------------------------------------------------------------
declare -A allowed=(
  [Unit]="Description Documentation Wants After"
  [Service]="Type User Group WorkingDirectory EnvironmentFile ExecStart TimeoutStartSec Nice IOSchedulingClass IOSchedulingPriority CPUAffinity"
  [Timer]="OnCalendar RandomizedDelaySec FixedRandomDelay Persistent Unit"
  [Install]="WantedBy"
)
units="$dir/units"
mkdir -p "$units"
sed "s|@REPO@|$src|g" "$src/tools/systemd/tinytorch-nightly.service" >"$units/tinytorch-nightly.service"
cp "$src/tools/systemd/tinytorch-nightly.timer" "$units/"
for unit in "$units"/tinytorch-nightly.service "$units"/tinytorch-nightly.timer; do
  name=$(basename "$unit")
  section=
  n=0
  while IFS= read -r line; do
    n=$((n + 1))
    [[ -z "$line" || "$line" == \#* ]] && continue
    if [[ "$line" =~ ^\[([A-Za-z]+)\]$ ]]; then
      section=${BASH_REMATCH[1]}
      [[ -n "${allowed[$section]+x}" ]] || fail "$name:$n: unexpected section [$section]"
    elif [[ "$line" =~ ^([A-Za-z]+)=([^[:space:]].*)$ ]]; then
      key=${BASH_REMATCH[1]}
      [[ -n "$section" && " ${allowed[$section]:-} " == *" $key "* ]] ||
        fail "$name:$n: key $key not expected in [${section:-none}]"
    else
      fail "$name:$n: not a [Section] or KEY=VALUE line: $line"
    fi
  done <"$unit"
  grep -q '@REPO@' "$unit" && fail "$name: @REPO@ left after the install step"
done
grep -qx 'Type=oneshot' "$units/tinytorch-nightly.service" || fail "the service is not a oneshot"
grep -qx 'Persistent=true' "$units/tinytorch-nightly.timer" || fail "the timer is not Persistent"
grep -q '^RandomizedDelaySec=' "$units/tinytorch-nightly.timer" || fail "the timer has no randomized delay"
grep -qx 'Unit=tinytorch-nightly.service' "$units/tinytorch-nightly.timer" || fail "the timer starts another unit"
# Every command the service starts: an absolute executable (the script of this repository).
while IFS= read -r exe; do
  [[ "$exe" == /* && -x "$exe" ]] || fail "ExecStart $exe is not an existing executable"
done < <(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$units/tinytorch-nightly.service")
grep -qx "ExecStart=$src/scripts/build.sh" "$units/tinytorch-nightly.service" || fail "the service does not build first"
grep -qx 'ExecStart=/usr/bin/cmake --build build --target nightly' "$units/tinytorch-nightly.service" ||
  fail "the service does not run the nightly target"
if command -v systemd-analyze >/dev/null; then
  (cd "$units" && timeout 120 systemd-analyze verify ./tinytorch-nightly.service ./tinytorch-nightly.timer) \
    >"$dir/verify.txt" 2>&1
  got=$?
  if [[ $got -ne 0 || -s "$dir/verify.txt" ]]; then
    fail "systemd-analyze verify: exit $got"; cat "$dir/verify.txt"
  else
    echo "ok: systemd-analyze verify (silent)"
  fi
else
  echo "skip: systemd-analyze not installed; the key=value check above stands alone"
fi

sbatch="$src/tools/slurm/nightly.sbatch"
[[ -x "$sbatch" ]] || fail "tools/slurm/nightly.sbatch missing or not executable"
grep -qx '#SBATCH --exclusive' "$sbatch" || fail "nightly.sbatch does not ask for the whole node"
bash -n "$sbatch" || fail "nightly.sbatch does not parse"
for s in scripts/build.sh scripts/nightly.sh scripts/submit_run.sh; do
  [[ -x "$src/$s" ]] || fail "$s missing or not executable"
done
grep -q '^scripts/build.sh$' "$sbatch" || fail "nightly.sbatch does not build"
grep -q '^scripts/submit_run.sh "\$run_dir" || status=1$' "$src/scripts/nightly.sh" ||
  fail "nightly.sh does not call scripts/submit_run.sh and count its failure"
echo "ok: unit files, sbatch script and the nightly's call checked"

# --- the submit step against a real server ----------------------------------------------------
db="sqlite:$dir/perf.db"
outbox="$dir/outbox"
server_pid=
cleanup() { [[ -n "$server_pid" ]] && kill -KILL "$server_pid" 2>/dev/null; }
trap cleanup EXIT
build=$(dirname "$(dirname "$tinyperf")")  # submit_run.sh runs $TT_BUILD_DIR/bin/tinyperf
token=
# submit <want exit> <description> [VAR=value...]: scripts/submit_run.sh on $run with the
# environment given (and nothing inherited from the caller's TT_SUBMIT_* or token).
submit() {
  local want=$1 what=$2
  shift 2
  env -u TT_SUBMIT_SERVER -u TINYPERF_TOKEN -u TT_SUBMIT_MACHINE TT_BUILD_DIR="$build" \
    TT_SUBMIT_OUTBOX="$outbox" "$@" "$src/scripts/submit_run.sh" "$run" >"$dir/out.txt" 2>&1
  local got=$?
  if [[ $got -ne $want ]]; then
    fail "$what: exit $got, expected $want"; cat "$dir/out.txt"
  else
    echo "ok: $what (exit $got)"
  fi
  if [[ -n "$token" ]] && grep -qF -- "$token" "$dir/out.txt"; then fail "$what: the token was printed"; fi
}
contains() {
  grep -qF -- "$1" "$dir/out.txt" || { fail "output lacks '$1'"; cat "$dir/out.txt"; }
}
outbox_holds() {
  local n
  n=$(find "$outbox" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l)
  [[ $n -eq $1 ]] || fail "the outbox holds $n run(s), expected $1"
}
source "$(dirname "${BASH_SOURCE[0]}")/serve_on.sh"
stop_server() { kill -TERM "$server_pid"; wait "$server_pid"; server_pid=; }

run="$dir/runs/20261203T030000Z"
mkdir -p "$run/bench"
cp "$src/tests/data/regression/validation_baseline.json" "$run/results.json"
cp "$src/tests/data/report/matmul_bench_sample.json" "$run/bench/matmul_bench.1.json"

"$tinyperf" db init --db "$db" >/dev/null || { echo "FAIL: db init"; exit 1; }
token=$("$tinyperf" token add --db "$db" --machine sched-m1 2>>"$dir/token.log" | grep -E '^[0-9a-f]{64}$')
other=$("$tinyperf" token add --db "$db" --machine sched-m2 2>>"$dir/token.log" | grep -E '^[0-9a-f]{64}$')
[[ "$token" =~ ^[0-9a-f]{64}$ && "$other" =~ ^[0-9a-f]{64}$ ]] || { echo "FAIL: token add"; exit 1; }
serve_on 127.0.0.1:0
server="http://127.0.0.1:$port"

submit 0 "not configured: nothing sent"
contains "no results server configured"
submit 2 "a server without a token is a configuration error" TT_SUBMIT_SERVER="$server"
contains "TINYPERF_TOKEN is not"
submit 0 "stored" TT_SUBMIT_SERVER="$server" TINYPERF_TOKEN="$token" TT_SUBMIT_MACHINE=sched-m1
contains "run 20261203T030000Z of machine sched-m1 stored"
submit 0 "sent again: already stored" TT_SUBMIT_SERVER="$server" TINYPERF_TOKEN="$token" TT_SUBMIT_MACHINE=sched-m1
contains "was already stored"
submit 2 "another machine's token: refused, fails the night" \
  TT_SUBMIT_SERVER="$server" TINYPERF_TOKEN="$other" TT_SUBMIT_MACHINE=sched-m1
contains "HTTP 403"
contains "not queued"
outbox_holds 0
stop_server
run="$dir/runs/20261204T030000Z"
mkdir -p "$run"
cp "$src/tests/data/report/matmul_bench_sample.json" "$run/matmul_bench.json"
submit 0 "server down: queued, does not fail the night" \
  TT_SUBMIT_SERVER="$server" TINYPERF_TOKEN="$token" TT_SUBMIT_MACHINE=sched-m1
contains "queued run 20261204T030000Z"
outbox_holds 1
serve_on "127.0.0.1:$port"
run="$dir/runs/20261203T030000Z"
submit 0 "the next night's submit delivers the outbox first" \
  TT_SUBMIT_SERVER="$server" TINYPERF_TOKEN="$token" TT_SUBMIT_MACHINE=sched-m1
contains "1 delivered, 0 still waiting, 0 refused"
outbox_holds 0
stop_server
"$tinyperf" db runs --db "$db" >"$dir/out.txt" 2>&1 || fail "db runs"
for r in 20261203T030000Z 20261204T030000Z; do
  [[ $(grep -c "$r" "$dir/out.txt") -eq 1 ]] || { fail "run $r should be stored exactly once"; cat "$dir/out.txt"; }
done

if [[ $failures -ne 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "all nightly scheduling checks passed"
