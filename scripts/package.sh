#!/usr/bin/env bash
# Builds the Debian packages (cmake/Package.cmake) from the `package` preset (portable, libraries
# and tinyperf only) into build-package/, and with --test checks them
# (tests/install/package_test.sh: contents, Depends, tinyperf and examples/downstream/ from the
# unpacked packages).
#   scripts/package.sh               build-package/tinyperf_<version>_amd64.deb, tinytorch-dev_...
#                                    and perf-results-dev_...
#   scripts/package.sh --test        the same, then the package test
#   scripts/package.sh --from-count  from the `count` preset's build-count/ instead: the same
#                                    compiler flags (portable Release; the presets differ only in
#                                    building the benchmarks, which nothing installs), so after
#                                    scripts/count.sh only tinyperf and the results libraries are
#                                    left to compile (what CI does)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

preset=package
test=0
for arg in "$@"; do
  case "$arg" in
    --test) test=1 ;;
    --from-count) preset=count ;;
    *) echo "package.sh: unknown argument $arg (--test, --from-count)" >&2; exit 2 ;;
  esac
done
dir=build-$preset

scripts/setup-deps.sh
scripts/setup-deps.sh --package
if ! log=$(cmake --preset "$preset" 2>&1); then
  echo "$log" >&2
  exit 1
fi
# What the packages hold: tinyperf, its count probe, and the libraries tinyperf links.
cmake --build --preset "$preset" -j "$(nproc)" --target tinyperf tinyperf-count-probe
rm -f "$dir"/*.deb
(cd "$dir" && cpack -G DEB >/dev/null)
ls -l "$dir"/*.deb
if [[ $test == 1 ]]; then
  tests/install/package_test.sh "$PWD" "$dir/package_test" "$dir"/*.deb
fi
