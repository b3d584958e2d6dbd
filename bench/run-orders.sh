#!/usr/bin/env bash
# Orders benchmark: CSV parse and 审单 review of 100,000 orders, with the raw SQLite insert
# rate of the same rows measured in the same run as the limit. Usage: bench/run-orders.sh BUILD_DIR
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
BIN="$BUILD/bench/orders/orders_bench"
if [ ! -x "$BIN" ]; then
  cmake --build "$BUILD" --target orders_bench >/dev/null
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$BIN" "${KEFU_ORDERS_BENCH_N:-100000}" "$TMP"
