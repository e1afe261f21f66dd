#!/usr/bin/env bash
# The Debian packages as a user gets them (scripts/package.sh --test):
#   1. their control fields: names, Depends on the Debian packages we build against, and apt
#      resolving those on this Debian (what `apt install ./*.deb` on a fresh machine resolves);
#   2. their contents: tinyperf's package holds no development files, the -dev package exactly
#      the public headers, the libraries and the package configs;
#   3. unpacked into a throwaway root: tinyperf --help and compare on two Google Benchmark files,
#      and examples/downstream/ built against the root and its tests run.
# Writes WORK_DIR/package_report.txt: sizes and installed files.
# Usage: package_test.sh SOURCE_DIR WORK_DIR TINYPERF_DEB TINYTORCH_DEV_DEB
set -euo pipefail
src=$(realpath "$1")
work=$2
rm -rf "$work"
mkdir -p "$work"
work=$(realpath "$work")
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $* ($(date +%T))"; }
runtime_deb=""
dev_deb=""
for deb in "${@:3}"; do
  case "$(dpkg-deb -f "$deb" Package)" in
    tinyperf) runtime_deb=$(realpath "$deb") ;;
    tinytorch-dev) dev_deb=$(realpath "$deb") ;;
    *) fail "$deb: unexpected package $(dpkg-deb -f "$deb" Package)" ;;
  esac
done
[[ -n "$runtime_deb" && -n "$dev_deb" ]] || fail "need the tinyperf and tinytorch-dev packages"

step "control fields"
runtime_depends=$(dpkg-deb -f "$runtime_deb" Depends)
dev_depends=$(dpkg-deb -f "$dev_deb" Depends)
echo "tinyperf Depends: $runtime_depends"
echo "tinyperf Recommends: $(dpkg-deb -f "$runtime_deb" Recommends)"
echo "tinytorch-dev Depends: $dev_depends"
for dep in libc6 libstdc++6 zlib1g libopenblas0 libbenchmark1debian; do
  [[ "$runtime_depends" == *"$dep"* ]] || fail "tinyperf does not depend on $dep"
done
for dep in nlohmann-json3-dev libopenblas-dev zlib1g-dev pkg-config; do
  [[ "$dev_depends" == *"$dep"* ]] || fail "tinytorch-dev does not depend on $dep"
done
[[ "$(dpkg-deb -f "$runtime_deb" Recommends)" == *valgrind* ]] || fail "tinyperf should recommend valgrind"
# apt resolves every dependency against this system's Debian archive (simulated: no root needed,
# nothing installed).
apt-get install --simulate --no-install-recommends "$runtime_deb" "$dev_deb" > "$work/apt.txt" 2>&1 ||
  { cat "$work/apt.txt"; fail "apt cannot resolve the packages' dependencies"; }

step "contents"
dpkg-deb -c "$runtime_deb" | awk '{print $6}' | grep -v '/$' | sort > "$work/runtime_files.txt"
dpkg-deb -c "$dev_deb" | awk '{print $6}' | grep -v '/$' | sort > "$work/dev_files.txt"
for f in ./usr/bin/tinyperf ./usr/bin/tinyperf-count-probe ./usr/share/tinytorch/digits/digits.csv; do
  grep -qx "$f" "$work/runtime_files.txt" || fail "tinyperf lacks $f"
done
if grep -E '^\./usr/(include|lib)/' "$work/runtime_files.txt"; then
  fail "development files in the tinyperf package"
fi
(cd "$src/tinytorch/include" && find . -name '*.h'; cd "$src/perf_framework/include" &&
 find . -name '*.h') | sed 's|^\./|./usr/include/|' | sort > "$work/public_headers.txt"
grep '^\./usr/include/' "$work/dev_files.txt" > "$work/dev_headers.txt" || true
diff "$work/public_headers.txt" "$work/dev_headers.txt" ||
  fail "tinytorch-dev's headers differ from the public ones (< public only, > packaged only)"
for f in ./usr/lib/libtinytorch.a ./usr/lib/libperf_framework.a ./usr/lib/libfileio.a \
         ./usr/lib/cmake/tinytorch/tinytorchConfig.cmake \
         ./usr/lib/cmake/perf_framework/perf_frameworkConfig.cmake \
         ./usr/lib/pkgconfig/tinytorch.pc ./usr/lib/pkgconfig/perf_framework.pc; do
  grep -qx "$f" "$work/dev_files.txt" || fail "tinytorch-dev lacks $f"
done

step "unpacked into a throwaway root"
root=$work/root
dpkg-deb -x "$runtime_deb" "$root"
dpkg-deb -x "$dev_deb" "$root"
tp=$root/usr/bin/tinyperf
"$tp" --help | grep -q compare || fail "tinyperf --help does not list compare"

ds=$work/downstream
cmake -S "$src/examples/downstream" -B "$ds" -DCMAKE_PREFIX_PATH="$root/usr" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$ds" -j 2 >/dev/null
ctest --test-dir "$ds" --output-on-failure
# Two alternated runs a side, as the README shows it: with one run a side the smaller size's
# improvement (about 2x) can come out inconclusive on a busy machine.
mkdir -p "$work/before" "$work/after"
for i in 1 2; do
  for side in before after; do
    "$ds/sort_bench_$side" --benchmark_repetitions=5 --benchmark_min_time=0.02 \
      --benchmark_out="$work/$side/$i.json" --benchmark_out_format=json >>"$work/bench.log" 2>&1
  done
done
"$tp" compare "$work/before" "$work/after" | tee "$work/compare.txt"
# One row per size, each ending in its verdict (the summary line says "improvement(s)" too).
[[ $(grep -cE '^BM_SortInts/n:[0-9]+ .* improvement$' "$work/compare.txt") == 2 ]] || fail "compare did not see the improvement"

{
  for deb in "$runtime_deb" "$dev_deb"; do
    echo "$(basename "$deb"): $(stat -c %s "$deb") bytes, Installed-Size $(dpkg-deb -f "$deb" Installed-Size) KiB"
    echo "  Depends: $(dpkg-deb -f "$deb" Depends)"
  done
  echo "tinyperf files:"
  sed 's/^/  /' "$work/runtime_files.txt"
  echo "tinytorch-dev files:"
  sed 's/^/  /' "$work/dev_files.txt"
} > "$work/package_report.txt"
echo "report: $work/package_report.txt"
step "ok"
