#!/usr/bin/env bash
# Builds the Debian packages (cmake/Package.cmake) from the `package` preset (portable, libraries
# and tinyperf only) into build-package/, and with --test checks them
# (tests/install/package_test.sh: contents, Depends, tinyperf and examples/downstream/ from the
# unpacked packages).
#   scripts/package.sh          build-package/tinyperf_<version>_amd64.deb and tinytorch-dev_...
#   scripts/package.sh --test   the same, then the package test
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup-deps.sh
scripts/setup-deps.sh --package
if ! log=$(cmake --preset package 2>&1); then
  echo "$log" >&2
  exit 1
fi
cmake --build --preset package -j "$(nproc)"
rm -f build-package/*.deb
(cd build-package && cpack -G DEB >/dev/null)
ls -l build-package/*.deb
if [[ "${1:-}" == "--test" ]]; then
  tests/install/package_test.sh "$PWD" build-package/package_test build-package/*.deb
fi
