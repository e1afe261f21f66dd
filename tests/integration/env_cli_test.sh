#!/usr/bin/env bash
# tinyperf env end to end: what it records of the reference BLAS, the degraded-reference warning
# when OpenBLAS is forced onto its generic kernel (OPENBLAS_CORETYPE=Prescott, what Debian's
# OpenBLAS 0.3.21 silently runs on CPUs it does not recognise), the default MatMul backend that
# avoids it, the measured choice cached per fingerprint, the overrides, and --exports.
#   env_cli_test.sh <tinyperf> <scratch dir>
set -uo pipefail
tinyperf=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
export TT_CACHE_DIR=$dir/cache
unset TT_MATMUL_BACKEND
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() {  # expect <file> <fixed string> <description>
  grep -qF -- "$2" "$1" || { fail "$3: '$2' not in $1"; cat "$1"; }
}
reject() {  # reject <file> <fixed string> <description>
  ! grep -qF -- "$2" "$1" || { fail "$3: '$2' in $1"; cat "$1"; }
}

# This machine as it is. Whatever the CPU, the record names the library, version and kernel.
"$tinyperf" env --format json >"$dir/env.json" || fail "env exited $?"
expect "$dir/env.json" '"library": "OpenBLAS"' "the BLAS is named"
expect "$dir/env.json" '"kernel":' "the kernel is recorded"
expect "$dir/env.json" '"degraded":' "the degraded flag is recorded"
expect "$dir/env.json" '"matmul_default_backend":' "the MatMul choice is recorded"
expect "$dir/env.json" '"warnings":' "warnings are a list"
"$tinyperf" env >"$dir/env.txt" || fail "env (text) exited $?"
expect "$dir/env.txt" "blas          OpenBLAS" "text names the BLAS"

# OpenBLAS on its generic kernel: a loud warning, and no model runs on it by default.
OPENBLAS_CORETYPE=Prescott "$tinyperf" env --format json >"$dir/prescott.json" || fail "exit $?"
expect "$dir/prescott.json" '"kernel": "Prescott"' "forced kernel is reported"
expect "$dir/prescott.json" '"degraded": true' "a fallback kernel is degraded"
expect "$dir/prescott.json" 'degraded reference: OpenBLAS' "the warning is in the list"
expect "$dir/prescott.json" 'OPENBLAS_CORETYPE=Prescott was set explicitly' "explicit setting named"
expect "$dir/prescott.json" '"matmul_default_backend": "threaded"' "default avoids it (rule)"
expect "$dir/prescott.json" 'prescott' "the fingerprint separates the kernel"
OPENBLAS_CORETYPE=Prescott "$tinyperf" env >"$dir/prescott.txt"
expect "$dir/prescott.txt" "WARNING       degraded reference" "text warns loudly"
expect "$dir/prescott.txt" "DEGRADED" "text flags the BLAS line"
# Measured: our kernel wins by far, and the measurement says the reference is degraded.
OPENBLAS_CORETYPE=Prescott "$tinyperf" env --tune --format json >"$dir/prescott_tuned.json"
reject "$dir/prescott_tuned.json" '"matmul_default_backend": "openblas"' "never OpenBLAS when degraded"
expect "$dir/prescott_tuned.json" '"matmul_choice": "measured' "the choice was measured"
OPENBLAS_CORETYPE=Prescott "$tinyperf" env --format json >"$dir/prescott_cached.json"
expect "$dir/prescott_cached.json" '"matmul_choice": "measured' "a later process reads the cache"
ls "$TT_CACHE_DIR"/matmul-*prescott*.json >/dev/null 2>&1 || fail "no cache file for the kernel"
# The user's setting is respected: --exports proposes nothing.
OPENBLAS_CORETYPE=Prescott env -u OPENBLAS_THREAD_TIMEOUT "$tinyperf" env --exports \
  >"$dir/exports_explicit.sh"
reject "$dir/exports_explicit.sh" "export OPENBLAS_CORETYPE" "an explicit OPENBLAS_CORETYPE is never overridden"
# A threaded OpenBLAS spins as briefly as tinytorch's pool, unless the user said otherwise.
if (( $(nproc) > 1 )); then
  expect "$dir/exports_explicit.sh" "export OPENBLAS_THREAD_TIMEOUT=17" "OpenBLAS's spin matches the pool's"
fi
OPENBLAS_THREAD_TIMEOUT=28 "$tinyperf" env --exports >"$dir/exports_timeout.sh"
reject "$dir/exports_timeout.sh" "OPENBLAS_THREAD_TIMEOUT" "an explicit OPENBLAS_THREAD_TIMEOUT is never overridden"
# Whatever it proposes is a valid shell line, and a kernel it proposes computes right.
"$tinyperf" env --exports >"$dir/exports.sh" || fail "exports exited $?"
bash -n "$dir/exports.sh" || fail "exports is not valid shell"
OPENBLAS_CORETYPE=Prescott "$tinyperf" env --verify-blas >/dev/null || fail "Prescott GEMM wrong"
# The child-process check that --exports runs before it proposes a kernel.
"$tinyperf" env --try-kernel Prescott >"$dir/try.txt" || fail "try-kernel Prescott exited $?"
expect "$dir/try.txt" "OPENBLAS_CORETYPE=Prescott: computes right" "a kernel is tried in a child"

# The crossover under which OpenBLAS runs on one thread: measured per rung, cached, shown (not
# under an override, which reads no cache), and a value no tune writes is not trusted.
"$tinyperf" env --tune --format json >"$dir/tuned.json" || fail "env --tune exited $?"
expect "$dir/tuned.json" '"openblas_one_thread":' "the one-thread race is in the measurements"
cache=$(ls "$TT_CACHE_DIR"/matmul-*.json | grep -v prescott | head -1)
expect "$cache" '"openblas_serial_below":' "the crossover is cached"
sed -i -E 's/"openblas_serial_below": [0-9]+/"openblas_serial_below": 4096000/' "$cache"
"$tinyperf" env >"$dir/crossover.txt"
expect "$dir/crossover.txt" "OpenBLAS on one thread under 160³ multiply-adds" "the crossover is shown"
TT_MATMUL_BACKEND=openblas "$tinyperf" env >"$dir/crossover_forced.txt"
reject "$dir/crossover_forced.txt" "OpenBLAS on one thread" "an override reads no cache"
for bogus in -1 16777217 1e99 '"4096000"'; do
  sed -i -E "s/\"openblas_serial_below\": [^,}]+/\"openblas_serial_below\": $bogus/" "$cache"
  "$tinyperf" env --format json >"$dir/bogus_crossover.json" || fail "crossover $bogus: exit $?"
  expect "$dir/bogus_crossover.json" '"matmul_choice": "rule:' "a crossover of $bogus is not trusted"
done
sed -i 's/tinytorch-matmul-choice-2/tinytorch-matmul-choice/' "$cache"
"$tinyperf" env --format json >"$dir/old_schema.json"
expect "$dir/old_schema.json" '"matmul_choice": "rule:' "a cache of the old schema is measured again"

# Overrides and a damaged cache.
TT_MATMUL_BACKEND=naive "$tinyperf" env --format json >"$dir/forced.json"
expect "$dir/forced.json" '"matmul_choice": "TT_MATMUL_BACKEND=naive"' "override is reported"
TT_MATMUL_BACKEND=fastest "$tinyperf" env >"$dir/bogus.txt" 2>&1 && fail "a bogus backend was accepted"
expect "$dir/bogus.txt" "TT_MATMUL_BACKEND=fastest is not a MatMul backend" "bogus backend named"
for f in "$TT_CACHE_DIR"/matmul-*.json; do echo '{"schema": 7' >"$f"; done
OPENBLAS_CORETYPE=Prescott "$tinyperf" env --format json >"$dir/damaged.json" || fail "exit $?"
expect "$dir/damaged.json" '"matmul_choice": "rule:' "a damaged cache falls back to the rule"
# A hostile cache: too large to be one (not read), or nested 60,000 deep (the bounded parse).
for bytes in 1000000 60000; do
  for f in "$TT_CACHE_DIR"/matmul-*.json; do head -c "$bytes" /dev/zero | tr '\0' '[' >"$f"; done
  OPENBLAS_CORETYPE=Prescott "$tinyperf" env --format json >"$dir/deep.json" || fail "cache of $bytes '[': exit $?"
  expect "$dir/deep.json" '"matmul_choice": "rule:' "a cache of $bytes '[' falls back to the rule"
done

# A process started below the CPU's SIMD level says so; a bad level is named and ignored.
if grep -qw avx2 /proc/cpuinfo; then
  TT_SIMD_LEVEL=scalar "$tinyperf" env >"$dir/scalar.txt" 2>&1
  expect "$dir/scalar.txt" "kernels run at scalar, below this CPU's" "a forced level is a warning"
fi
TT_SIMD_LEVEL=avx9000 "$tinyperf" env >"$dir/badlevel.txt" 2>&1 || fail "a bad level stopped env"
expect "$dir/badlevel.txt" "TT_SIMD_LEVEL=avx9000 is not scalar, avx2 or avx512; ignored" "bad level"

echo "env_cli_test: $failures failure(s)"
[[ $failures -eq 0 ]]
