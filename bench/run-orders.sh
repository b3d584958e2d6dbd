#!/usr/bin/env bash
# Orders benchmark (issue 8, acceptance 5): CSV parse and 审单 review of 100,000 orders in process,
# `kefu import orders` of the same 100,000-row CSV into a fresh SQLite store (time, rows/s, CPU),
# and the raw SQLite insert rate of the same rows into the same schema in the same run as the
# limit, with the ratios. Usage: bench/run-orders.sh BUILD_DIR [N=100000]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
n=${2:-${KEFU_ORDERS_BENCH_N:-100000}}
ninja -C "$build" kefu orders_bench >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bench/orders/orders_bench" "$build/kefu" "$n" "$work"
