# Sourced by the scripts that run tests or benchmarks (test, validate/run_all, bench, nightly):
# `tt_references BUILD_DIR` runs the reference libraries at their best kernel for this CPU and
# fixes tinytorch's MatMul choice for the run.
#  - tinyperf env --exports: OPENBLAS_CORETYPE when Debian's OpenBLAS fell back to a generic
#    kernel and the user set nothing (an explicit setting is respected), after a child process has
#    checked that kernel against the naive GEMM; the tests then all run under it.
#  - tinyperf env --tune: the default MatMul backend per shape class, measured once per machine
#    fingerprint (CPU, cores, compiler, BLAS kernel) and cached.
# It prints what the run will record (tinyperf env), warnings included.
tt_references() {
  local tinyperf="$1/bin/tinyperf" exports
  [[ -x "$tinyperf" ]] || { echo "references: no $tinyperf (build first)" >&2; return 1; }
  exports=$("$tinyperf" env --exports) || return 1
  eval "$exports"
  "$tinyperf" env --tune | sed 's/^/env: /'
}
