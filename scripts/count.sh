#!/usr/bin/env bash
# The instruction-count gate: "did my change make anything slower?", answered on a noisy shared
# machine. Counts the benchmarks that matter under Valgrind (tinyperf count: deterministic, harness
# removed) from the `count` preset (portable: Valgrind runs no AVX-512), and compares each binary's
# counts with the committed baseline for this compiler, -march and SIMD path
# (validation_results/baselines/counts/<key>/). Also checks that the gate still bites: 2% more
# work injected into BM_SpinControl must be a regression.
#   scripts/count.sh               count, compare; exit 1 on a regression (above 1%)
#   scripts/count.sh --accept      count and make the result the baseline (an intended change;
#                                  commit validation_results/baselines/counts/)
#   scripts/count.sh --out DIR     where the counts go (default build-count/counts): DIR/<binary>.json,
#                                  a count directory `tinyperf compare --counts` and a validation
#                                  run folder's counts/ read; the negative control's in DIR/control/
set -euo pipefail
cd "$(dirname "$0")/.."

accept=0
out=build-count/counts
while [[ $# -gt 0 ]]; do
  case "$1" in
    --accept) accept=1 ;;
    --out)
      [[ $# -ge 2 ]] || { echo "count.sh: --out needs a directory" >&2; exit 2; }
      out="$2"
      # It is emptied first: never a directory with anything count.sh did not write there.
      if [[ -e $out && ! -f $out/.count.sh && -n $(ls -A "$out" 2>/dev/null) ]]; then
        echo "count.sh: --out $out exists and was not made by count.sh; give a new directory" >&2
        exit 2
      fi
      shift ;;
    *) echo "count.sh: unknown argument $1 (--accept, --out DIR)" >&2; exit 2 ;;
  esac
  shift
done

# The suite: binary and --filter. Small sizes (Valgrind runs ~50x slower than the CPU); one
# representative of each optimisation the project claims. OpenBLAS rows are left out: they count
# Debian's library, not this code.
suite=(
  "matmul_bench|BM_MatMul(Naive|Reordered|Blocked|Simd|Threaded)/n:64/|BM_MatMul(Blocked|Simd|Threaded)/n:256/|BM_Dispatch(Raw|Tensor)/n:32$"
  "conv_bench|BM_(DepthwiseConv2d|DepthwiseConv2dAsFullConv|Conv2dPointwise)/channels:8/size:48$"
  "attention_bench|BM_AttentionForward/T:32/|BM_GptForward/T:64/"
  "quantized_bench|BM_Gemm(Int8|Fp32)/n:(64|256)/|BM_(Linear|Mlp|Cnn)(Int8|Fp32)/batch:1/"
  "fusion_bench|/rows:64$"
  "lazy_vs_eager_bench|BM_(Add|ElementwiseChain)(Eager|Lazy)/n:(1024|4096)$|BM_(MatMul|ComplexGraph)(Eager|Lazy)/n:64$|BM_GraphBuild(AndEval)?/ops:16$"
  "kv_cache_bench|BM_Generate(Uncached|Cached)/tokens:8/"
  "sparse_bench|/batch:1/sparsity_pct:90$"
  "tensor_bench|BM_AddElementwise/n:1000$"
  "timer_bench|BM_SpinControl/n:10000$"
)

scripts/setup-deps.sh
# tinyperf itself runs natively: the release build's (test.sh has built it already in CI).
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target tinyperf tinyperf-count-probe >/dev/null
if ! log=$(cmake --preset count 2>&1); then echo "$log" >&2; exit 1; fi
targets=()
for entry in "${suite[@]}"; do targets+=("${entry%%|*}"); done
cmake --build --preset count -j "$(nproc)" --target "${targets[@]}" >/dev/null

tinyperf=build/bin/tinyperf
# What decides the counts besides the code is fixed: the SIMD path Valgrind can run, MatMul's
# default GEMM (not a per-machine tuning cache), no injected slowdown.
export TT_SIMD_LEVEL=avx2 TT_MATMUL_BACKEND=threaded
unset TT_BENCH_SLOWDOWN
rm -rf "$out"
mkdir -p "$out"
touch "$out/.count.sh"  # what --out may empty next time
# One binary per CPU at a time: tinyperf count pins itself to the first CPU it may use, so each
# gets its own (taskset), and an instruction count does not depend on what else runs.
cpus=()
IFS=, read -ra ranges < <(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)
for r in "${ranges[@]}"; do
  for ((cpu = ${r%-*}; cpu <= ${r#*-}; cpu++)); do cpus+=("$cpu"); done
done
export TT_COUNT_CPUS="${cpus[*]}" tinyperf out
start=$SECONDS
if ! printf '%s\n' "${suite[@]}" |
  xargs -d '\n' -P "${#cpus[@]}" --process-slot-var=TT_COUNT_SLOT -I{} bash -c '
    set -euo pipefail
    binary=${1%%|*} filter=${1#*|}
    read -ra cpus <<<"$TT_COUNT_CPUS"
    cpu=${cpus[$TT_COUNT_SLOT]}
    echo "count.sh: counting $binary on CPU $cpu"
    taskset -c "$cpu" "$tinyperf" count --filter "$filter" --out "$out/$binary.json" \
      "build-count/bin/$binary" >"$out/$binary.txt"' _ {}; then
  echo "count.sh: FAIL: counting did not complete (the binary that failed is named above)" >&2
  exit 1
fi
echo "count.sh: counted the suite in $((SECONDS - start)) s on ${#cpus[@]} CPU(s); counts in $out"

if [[ $accept == 1 ]]; then
  "$tinyperf" baseline update --counts "$out"
  exit 0
fi

# The negative control: 2% more work must be caught (threshold 1%). Only that benchmark is
# counted again (--allow-missing: the others are not missing from the code), and only exit 1 with
# it called a regression counts: exit 2 (nothing to compare) would not be a detection.
mkdir -p "$out/control"
TT_BENCH_SLOWDOWN=0.02 "$tinyperf" count --filter 'BM_SpinControl/n:10000$' \
  --out "$out/control/slowdown.json" build-count/bin/timer_bench >/dev/null
rc=0
"$tinyperf" compare --metric instructions --allow-missing "$out/timer_bench.json" \
  "$out/control/slowdown.json" >"$out/control/compare.txt" 2>&1 || rc=$?
if [[ $rc != 1 ]] || ! grep -Eq 'BM_SpinControl/n:10000 .*regression' "$out/control/compare.txt"; then
  cat "$out/control/compare.txt"
  echo "count.sh: FAIL: a 2% injected slowdown was not called a regression (compare exited $rc)" >&2
  exit 1
fi
echo "count.sh: negative control: 2% injected slowdown detected"

if ! baseline=$("$tinyperf" baseline path --counts "$out/timer_bench.json"); then
  echo "count.sh: no committed count baseline for this compiler and SIMD path;" \
    "scripts/count.sh --accept makes one" >&2
  exit 2
fi
status=0
for entry in "${suite[@]}"; do
  binary="${entry%%|*}"
  if [[ ! -f "$baseline/$binary.json" ]]; then
    echo "count.sh: $baseline/$binary.json is missing (scripts/count.sh --accept)" >&2
    status=1
    continue
  fi
  rc=0
  "$tinyperf" compare --metric instructions "$baseline/$binary.json" "$out/$binary.json" \
    >"$out/$binary.compare.txt" || rc=$?
  if [[ $rc != 0 ]]; then
    cat "$out/$binary.compare.txt"
    status=1
  fi
  grep -E "regression\(s\)" "$out/$binary.compare.txt" | sed "s/^/count.sh: $binary: /" || true
done
if [[ $status != 0 ]]; then
  echo "count.sh: FAIL: instruction counts regressed against $baseline" \
    "(an intended change: scripts/count.sh --accept, then commit the baseline)" >&2
fi
exit $status
