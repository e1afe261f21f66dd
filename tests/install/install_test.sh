#!/usr/bin/env bash
# The install as another project sees it: `cmake --install` of this build into a temporary prefix,
# then only the prefix is used.
#   1. the installed files: exactly the public headers (no private one), the libraries, the
#      package configs and .pc files (no path into the source or build tree), tinyperf and its
#      count probe, the digits data;
#   2. every installed header compiles alone against find_package(...) (headers/);
#   3. pkg-config alone links a program against both libraries, and one against the results store
#      and server (perf_store, perf_server), which also link through their package configs;
#   4. examples/downstream/ builds against the prefix and its tests pass (the comparator contract);
#   5. the installed tinyperf on the downstream project's own Google Benchmark binary, as the
#      README's "tinyperf on your own benchmarks" shows it: --help, count, and the count gate
#      catching the slower version. The timed commands (compare before/after, calibrate) are
#      install_timing_test.sh, run after this one on the prefix it leaves in WORK_DIR: only they
#      need the machine to themselves, and the compiling above does not.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
work=$3
rm -rf "$work"
mkdir -p "$work"
work=$(realpath "$work")
prefix=$work/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $* ($(date +%T))"; }
source "$src/tests/install/downstream.sh"

step "install into $prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
(cd "$prefix" && find . -type f | sed 's|^\./||' | sort) > "$work/installed.txt"
echo "$(wc -l < "$work/installed.txt") files, $(du -sh "$prefix" | cut -f1):"
sed 's/^/  /' "$work/installed.txt"

step "installed headers are exactly the public ones"
for lib in tinytorch perf_framework perf_store perf_server; do
  (cd "$src/$lib/include" && find . -name '*.h')
done | sed 's|^\./|include/|' | sort > "$work/public_headers.txt"
grep '^include/' "$work/installed.txt" > "$work/installed_headers.txt" || true
if ! diff "$work/public_headers.txt" "$work/installed_headers.txt"; then
  fail "installed headers differ from the libraries' include/ folders (< public only, > installed only)"
fi
for f in lib/libtinytorch.a lib/libperf_framework.a lib/libfileio.a \
         lib/libperf_store.a lib/libperf_server.a \
         lib/cmake/tinytorch/tinytorchConfig.cmake lib/cmake/tinytorch/tinytorchConfigVersion.cmake \
         lib/cmake/perf_framework/perf_frameworkConfig.cmake \
         lib/cmake/perf_framework/perf_frameworkConfigVersion.cmake \
         lib/cmake/perf_store/perf_storeConfig.cmake lib/cmake/perf_server/perf_serverConfig.cmake \
         lib/pkgconfig/tinytorch.pc lib/pkgconfig/perf_framework.pc \
         lib/pkgconfig/perf_store.pc lib/pkgconfig/perf_server.pc \
         bin/tinyperf bin/tinyperf-count-probe share/tinytorch/digits/digits.csv; do
  grep -qx "$f" "$work/installed.txt" || fail "$f was not installed"
done
if grep -rlF -e "$src" -e "$build" "$prefix/lib/cmake" "$prefix/lib/pkgconfig" "$prefix/include"; then
  fail "the files above name the source or build tree"
fi

# Only the prefix (and the system) may be searched, never the package registry.
export CMAKE_PREFIX_PATH=$prefix
no_registry=(-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_BUILD_TYPE=Release)

step "every installed header compiles alone"
cmake -S "$src/tests/install/headers" -B "$work/headers" "${no_registry[@]}" >/dev/null
cmake --build "$work/headers" -j 2 >/dev/null || {
  cmake --build "$work/headers" -j 1 2>&1 | grep -E 'error|warning' | head -20
  fail "an installed header does not compile alone"
}

step "pkg-config alone links both libraries"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
# shellcheck disable=SC2046  # pkg-config's flags are meant to split
g++ -std=c++20 -O1 "$src/tests/install/pkgconfig_main.cc" -o "$work/pkgconfig_main" \
  $(pkg-config --cflags --libs tinytorch)
[[ "$("$work/pkgconfig_main")" == "faster 22 2.5" ]] || fail "pkgconfig_main printed the wrong thing"

step "the results store and server link through their package configs and through pkg-config"
results="schema [0-9]+, token for box, http://localhost:8080"
[[ "$("$work/headers/results_main" "$work/results_cmake.db")" =~ ^$results$ ]] ||
  fail "results_main (CMake package configs) printed the wrong thing"
# shellcheck disable=SC2046  # pkg-config's flags are meant to split
g++ -std=c++20 -O1 "$src/tests/install/results_main.cc" -o "$work/results_main" \
  $(pkg-config --cflags --libs perf_server)
[[ "$("$work/results_main" "$work/results_pc.db")" =~ ^$results$ ]] ||
  fail "results_main (pkg-config) printed the wrong thing"

step "examples/downstream builds against the prefix, and its tests pass"
ds=$work/downstream
downstream_build "$src" "$ds" "$prefix"

tp=$prefix/bin/tinyperf
step "tinyperf --help"
"$tp" --help | grep -q calibrate || fail "tinyperf --help does not list calibrate"
# The data `olympics submit` trains on by default is the installed copy, not the source tree's.
"$tp" olympics submit --help | grep -qF "=$prefix/share/tinytorch/digits/digits.csv" ||
  fail "the installed tinyperf does not default to the installed digits data"

step "tinyperf count: instructions under Valgrind, and the gate"
if ! command -v valgrind >/dev/null; then
  fail "valgrind is not installed (apt-get install valgrind; scripts/setup-deps.sh)"
fi
for side in before after; do
  "$tp" count --filter 'BM_SortInts/n:256' "$ds/sort_bench_$side" --out "$work/count_$side.json"
done
"$tp" compare --metric instructions "$work/count_before.json" "$work/count_after.json"
set +e
"$tp" compare --metric instructions "$work/count_after.json" "$work/count_before.json" \
  > "$work/count_gate.txt"
rc=$?
set -e
cat "$work/count_gate.txt"
[[ $rc == 1 ]] || fail "the count gate exited $rc, not 1, when insertion sort came back"
step "ok"
