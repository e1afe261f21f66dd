#!/usr/bin/env bash
# Installs the Debian packages this project builds with. Idempotent, and silent when nothing is
# missing. As root it runs apt-get; otherwise it prints the exact command and fails.
#   scripts/setup-deps.sh            build and test dependencies
#   scripts/setup-deps.sh --golden   also what tools/golden/*.py need (PyTorch, SciPy, scikit-learn)
#   scripts/setup-deps.sh --libtorch also libtorch-dev, for the tinytorch-vs-libtorch comparisons
#   scripts/setup-deps.sh --fuzz     also clang and its libFuzzer runtime, for scripts/fuzz.sh
#   scripts/setup-deps.sh --package  also dpkg-dev (dpkg-shlibdeps), for scripts/package.sh
set -euo pipefail

packages=(g++ make cmake pkg-config git
          libgtest-dev libgmock-dev libbenchmark-dev libboost-dev nlohmann-json3-dev libopenblas-dev libcli11-dev
          zlib1g-dev dataset-fashion-mnist chromium valgrind
          libsqlite3-dev libpq-dev libssl-dev postgresql libcpp-httplib-dev)
case "${1:-}" in
  --golden) packages+=(python3 python3-torch python3-numpy python3-scipy python3-sklearn) ;;
  --libtorch) packages+=(libtorch-dev) ;;
  --fuzz) packages+=(clang libclang-rt-dev) ;;
  --package) packages+=(dpkg-dev) ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "setup-deps: missing Debian packages: ${missing[*]}" >&2
  echo "setup-deps: install them with:" >&2
  echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
