#!/usr/bin/env bash
# Installs every Debian package that building, testing and benchmarking Kefu needs.
# Idempotent: packages already present are skipped, so a second run does nothing.
set -euo pipefail

PKGS=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git python3
  clang libclang-rt-14-dev
  # libraries
  libboost1.81-dev libboost-json1.81-dev
  libsqlite3-dev sqlite3 libargon2-dev libssl-dev libjemalloc-dev
  libspdlog-dev libfmt-dev libsimdjson-dev libtomlplusplus-dev libhowardhinnant-date-dev tzdata
  libicu-dev libopencc-dev opencc libhyperscan-dev
  libpq-dev libhiredis-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # real servers started by the tests, the browser for e2e tests and a CJK font for its screenshots
  postgresql redis-server chromium fonts-wqy-microhei
)
# The web build needs node and npm; a machine that already has them (from any source) keeps them,
# since Debian's npm conflicts with a node that bundles its own.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PKGS+=(nodejs npm)
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
