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
json=$("$tinyperf" compare "$baseline" "$current" --format json "$@" 2>/dev/null)
[[ $? -le 1 ]] || { echo "confirm: tinyperf compare failed on $baseline and $current"; exit 2; }
# Keys come sorted, so each comparison's "name" precedes its "verdict".
mapfile -t families < <(awk -F'"' '/^      "name": / { name = $4 }
  /^      "verdict": "regression"/ { sub(/\/.*/, "", name); print name }' <<<"$json" | sort -u)
if [[ ${#families[@]} -eq 0 ]]; then
  echo "confirm: no regression to confirm"
  exit 0
fi
filter="^($(IFS='|'; echo "${families[*]}"))(/|\$)"
echo "confirm: rerunning ${families[*]} ${CONFIRM_RUNS:-2} more time(s)"
for file in "$current"/*.json; do
  binary=$(basename "$file" .json)
  binary=${binary%%.*}
  [[ -x "$bin/$binary" ]] || continue
  grep -qE "\"run_name\": \"($(IFS='|'; echo "${families[*]}"))[/\"]" "$file" || continue
  [[ -e "$current/$binary.confirm1.json" ]] && continue  # one binary, several files: once
  for ((k = 1; k <= ${CONFIRM_RUNS:-2}; k++)); do
    out="$current/$binary.confirm$k.json"
    if ! "$bin/$binary" --benchmark_repetitions=10 --benchmark_min_time=0.1 \
         --benchmark_filter="$filter" --benchmark_out="$out" --benchmark_out_format=json \
         >/dev/null 2>&1 || ! grep -q '"run_type": "iteration"' "$out"; then
      echo "confirm: $binary failed or ran nothing for $filter"
      exit 2
    fi
  done
done
exit 0
