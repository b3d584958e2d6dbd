#!/usr/bin/env bash
# Runs every benchmark; each prints its figures and ratios to its peer or limit.
set -uo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
for b in bench/run-*.sh; do
  [ -f "$b" ] || continue
  echo "== $b"
  bash "$b" "$BUILD" || echo "!! $b failed"
done
