#!/usr/bin/env bash
# The Debian packages as a user gets them (scripts/package.sh --test):
#   1. their control fields: names, Depends on the Debian packages we build against, and apt
#      resolving those on this Debian (what `apt install ./*.deb` on a fresh machine resolves);
#   2. their contents: tinyperf's package holds no development files, each -dev package exactly
#      its libraries' public headers, the libraries and the package configs; each package its
#      copyright file and changelog;
#   3. unpacked into a throwaway root: tinyperf --help and compare on two Google Benchmark files,
#      examples/downstream/ built against the root and its tests run, and a program linked
#      against the results libraries through their pkg-config files.
# Writes WORK_DIR/package_report.txt: sizes and installed files.
# Usage: package_test.sh SOURCE_DIR WORK_DIR TINYPERF_DEB TINYTORCH_DEV_DEB PERF_RESULTS_DEV_DEB
set -euo pipefail
src=$(realpath "$1")
work=$2
rm -rf "$work"
mkdir -p "$work"
work=$(realpath "$work")
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $* ($(date +%T))"; }
source "$src/tests/install/downstream.sh"
runtime_deb=""
dev_deb=""
results_deb=""
for deb in "${@:3}"; do
  case "$(dpkg-deb -f "$deb" Package)" in
    tinyperf) runtime_deb=$(realpath "$deb") ;;
    tinytorch-dev) dev_deb=$(realpath "$deb") ;;
    perf-results-dev) results_deb=$(realpath "$deb") ;;
    *) fail "$deb: unexpected package $(dpkg-deb -f "$deb" Package)" ;;
  esac
done
[[ -n "$runtime_deb" && -n "$dev_deb" && -n "$results_deb" ]] ||
  fail "need the tinyperf, tinytorch-dev and perf-results-dev packages"

step "control fields"
runtime_depends=$(dpkg-deb -f "$runtime_deb" Depends)
dev_depends=$(dpkg-deb -f "$dev_deb" Depends)
echo "tinyperf Depends: $runtime_depends"
echo "tinyperf Recommends: $(dpkg-deb -f "$runtime_deb" Recommends)"
echo "tinytorch-dev Depends: $dev_depends"
results_depends=$(dpkg-deb -f "$results_deb" Depends)
echo "perf-results-dev Depends: $results_depends"
for dep in libc6 libstdc++6 zlib1g libopenblas0 libbenchmark1debian; do
  [[ "$runtime_depends" == *"$dep"* ]] || fail "tinyperf does not depend on $dep"
done
for dep in nlohmann-json3-dev libopenblas-dev zlib1g-dev pkg-config; do
  [[ "$dev_depends" == *"$dep"* ]] || fail "tinytorch-dev does not depend on $dep"
done
for dep in tinytorch-dev libsqlite3-dev libpq-dev libssl-dev libcpp-httplib-dev; do
  [[ "$results_depends" == *"$dep"* ]] || fail "perf-results-dev does not depend on $dep"
done
[[ "$(dpkg-deb -f "$runtime_deb" Recommends)" == *valgrind* ]] || fail "tinyperf should recommend valgrind"
# apt resolves every dependency against this system's Debian archive (simulated: no root needed,
# nothing installed).
apt-get install --simulate --no-install-recommends "$runtime_deb" "$dev_deb" "$results_deb" \
  > "$work/apt.txt" 2>&1 ||
  { cat "$work/apt.txt"; fail "apt cannot resolve the packages' dependencies"; }

step "contents"
dpkg-deb -c "$runtime_deb" | awk '{print $6}' | grep -v '/$' | sort > "$work/runtime_files.txt"
dpkg-deb -c "$dev_deb" | awk '{print $6}' | grep -v '/$' | sort > "$work/dev_files.txt"
dpkg-deb -c "$results_deb" | awk '{print $6}' | grep -v '/$' | sort > "$work/results_files.txt"
for f in ./usr/bin/tinyperf ./usr/bin/tinyperf-count-probe ./usr/share/tinytorch/digits/digits.csv; do
  grep -qx "$f" "$work/runtime_files.txt" || fail "tinyperf lacks $f"
done
# Debian policy: every package its copyright file and changelog (cmake/Package.cmake).
for pair in runtime:tinyperf dev:tinytorch-dev results:perf-results-dev; do
  for f in copyright changelog.gz; do
    grep -qx "./usr/share/doc/${pair#*:}/$f" "$work/${pair%%:*}_files.txt" ||
      fail "${pair#*:} lacks /usr/share/doc/${pair#*:}/$f"
  done
done
if grep -E '^\./usr/(include|lib)/' "$work/runtime_files.txt"; then
  fail "development files in the tinyperf package"
fi
# public_headers <lib>...: the headers under each lib's include/, as packaged paths.
public_headers() {
  for lib in "$@"; do (cd "$src/$lib/include" && find . -name '*.h'); done |
    sed 's|^\./|./usr/include/|' | sort
}
for pkg in dev results; do
  if [[ $pkg == dev ]]; then libs=(tinytorch perf_framework); else libs=(perf_store perf_server); fi
  public_headers "${libs[@]}" > "$work/${pkg}_public_headers.txt"
  grep '^\./usr/include/' "$work/${pkg}_files.txt" > "$work/${pkg}_headers.txt" || true
  diff "$work/${pkg}_public_headers.txt" "$work/${pkg}_headers.txt" ||
    fail "the $pkg package's headers differ from ${libs[*]}'s public ones (< public only, > packaged only)"
done
for f in ./usr/lib/libtinytorch.a ./usr/lib/libperf_framework.a ./usr/lib/libfileio.a \
         ./usr/lib/cmake/tinytorch/tinytorchConfig.cmake \
         ./usr/lib/cmake/perf_framework/perf_frameworkConfig.cmake \
         ./usr/lib/pkgconfig/tinytorch.pc ./usr/lib/pkgconfig/perf_framework.pc; do
  grep -qx "$f" "$work/dev_files.txt" || fail "tinytorch-dev lacks $f"
done
for f in ./usr/lib/libperf_store.a ./usr/lib/libperf_server.a \
         ./usr/lib/cmake/perf_store/perf_storeConfig.cmake \
         ./usr/lib/cmake/perf_server/perf_serverConfig.cmake \
         ./usr/lib/pkgconfig/perf_store.pc ./usr/lib/pkgconfig/perf_server.pc; do
  grep -qx "$f" "$work/results_files.txt" || fail "perf-results-dev lacks $f"
done

step "unpacked into a throwaway root"
root=$work/root
dpkg-deb -x "$runtime_deb" "$root"
dpkg-deb -x "$dev_deb" "$root"
dpkg-deb -x "$results_deb" "$root"
tp=$root/usr/bin/tinyperf
"$tp" --help | grep -q compare || fail "tinyperf --help does not list compare"

ds=$work/downstream
downstream_build "$src" "$ds" "$root/usr"
downstream_bench "$ds" "$work"
downstream_compare "$tp" "$work"
# shellcheck disable=SC2046  # pkg-config's flags are meant to split
g++ -std=c++20 -O1 "$src/tests/install/results_main.cc" -o "$work/results_main" \
  $(PKG_CONFIG_PATH=$root/usr/lib/pkgconfig pkg-config --cflags --libs perf_server)
[[ "$("$work/results_main" "$work/results.db")" =~ ^"schema "[0-9]+", token for box, http://localhost:8080"$ ]] ||
  fail "results_main (linked from the packages' pkg-config files) printed the wrong thing"

{
  for deb in "$runtime_deb" "$dev_deb" "$results_deb"; do
    echo "$(basename "$deb"): $(stat -c %s "$deb") bytes, Installed-Size $(dpkg-deb -f "$deb" Installed-Size) KiB"
    echo "  Depends: $(dpkg-deb -f "$deb" Depends)"
  done
  echo "tinyperf files:"
  sed 's/^/  /' "$work/runtime_files.txt"
  echo "tinytorch-dev files:"
  sed 's/^/  /' "$work/dev_files.txt"
  echo "perf-results-dev files:"
  sed 's/^/  /' "$work/results_files.txt"
} > "$work/package_report.txt"
echo "report: $work/package_report.txt"
step "ok"
