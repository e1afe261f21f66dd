#!/usr/bin/env bash
# Confirms the regressions of a comparison before they count. On a shared VM a whole benchmark
# process now and then runs 30-90% slow (every benchmark of that binary at once), and a single run
# cannot tell that from a regression. So each benchmark family `tinyperf compare` calls a
# regression is run RUNS more times (default 2) into CURRENT_DIR as <binary>.confirm<k>.json;
# the caller then compares again, and the extra runs (and the drift they show) decide.
#   scripts/confirm.sh BASELINE CURRENT_DIR BIN_DIR [tinyperf compare flags...]
# Prints what it reran. Exit 0 whether or not anything was reran, 2 on bad usage or a failed run.
set -uo pipefail
[[ $# -ge 3 ]] || { echo "usage: confirm.sh BASELINE CURRENT_DIR BIN_DIR [compare flags]"; exit 2; }
baseline=$1 current=$2 bin=$3
shift 3
tinyperf="$bin/tinyperf"
# The families compare calls regressions, one a line (compare exits 1 when there are any).
listed=$("$tinyperf" compare "$baseline" "$current" "$@" --format families 2>/dev/null)
[[ $? -le 1 ]] || { echo "confirm: tinyperf compare failed on $baseline and $current"; exit 2; }
mapfile -t families < <(grep . <<<"$listed")
if [[ ${#families[@]} -eq 0 ]]; then
  echo "confirm: no regression to confirm"
  exit 0
fi
# Each family literally: a name's regex characters (. * + ? ( ) [ ] { } | ^ $ \) escaped.
escaped=()
for f in "${families[@]}"; do escaped+=("$(sed 's/[][\\.^$*+?(){}|]/\\&/g' <<<"$f")"); done
filter="^($(IFS='|'; echo "${escaped[*]}"))(/|\$)"
echo "confirm: rerunning ${families[*]} ${CONFIRM_RUNS:-2} more time(s)"
for file in "$current"/*.json; do
  binary=$(basename "$file" .json)
  binary=${binary%%.*}
  [[ -x "$bin/$binary" ]] || continue
  # Only the binaries that hold one of the families: they list what the filter selects, so the
  # reruns below cannot run nothing.
  "$bin/$binary" --benchmark_list_tests --benchmark_filter="$filter" 2>/dev/null | grep -q . ||
    continue
  [[ -e "$current/$binary.confirm1.json" ]] && continue  # one binary, several files: once
  for ((k = 1; k <= ${CONFIRM_RUNS:-2}; k++)); do
    out="$current/$binary.confirm$k.json"
    if ! "$bin/$binary" --benchmark_repetitions=10 --benchmark_min_time=0.1 \
         --benchmark_filter="$filter" --benchmark_out="$out" --benchmark_out_format=json \
         >/dev/null 2>&1 || [[ ! -s "$out" ]]; then
      echo "confirm: $binary failed or wrote nothing for $filter"
      exit 2
    fi
  done
done
exit 0
