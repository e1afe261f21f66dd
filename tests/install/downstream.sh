# The downstream step both install tests share (install_test.sh from an install prefix,
# package_test.sh from the unpacked Debian packages), sourced after they define fail():
# examples/downstream/ configured against the installed packages only, built, its tests run; then
# its Google Benchmark binary before and after the change, compared by the installed tinyperf.

# downstream_build SOURCE_DIR BUILD_DIR PREFIX: only PREFIX (and the system) is searched, never the
# package registry.
downstream_build() {
  cmake -S "$1/examples/downstream" -B "$2" -DCMAKE_PREFIX_PATH="$3" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$2" -j 2 >/dev/null
  ctest --test-dir "$2" --output-on-failure
}

# downstream_bench BUILD_DIR WORK_DIR: two alternated runs a side into WORK_DIR/{before,after}/, as
# the README shows it: with one run a side the smaller size's improvement (about 6x) can come out
# inconclusive on a busy machine.
downstream_bench() {
  mkdir -p "$2/before" "$2/after"
  for i in 1 2; do
    for side in before after; do
      "$1/sort_bench_$side" --benchmark_repetitions=5 --benchmark_min_time=0.02 \
        --benchmark_out="$2/$side/$i.json" --benchmark_out_format=json >>"$2/bench.log" 2>&1
    done
  done
}

# downstream_compare TINYPERF WORK_DIR: `tinyperf compare` before -> after must exit 0 with both
# sizes an improvement, printed and kept in WORK_DIR/compare.txt.
downstream_compare() {
  local rc=0
  "$1" compare "$2/before" "$2/after" >"$2/compare.txt" || rc=$?
  cat "$2/compare.txt"
  [[ $rc == 0 ]] || fail "tinyperf compare exited $rc on a 10x improvement"
  # One row per size, each ending in its verdict (the summary line says "improvement(s)" too).
  [[ $(grep -cE '^BM_SortInts/n:[0-9]+ .* improvement$' "$2/compare.txt") == 2 ]] ||
    fail "both BM_SortInts sizes should be an improvement"
}
