#!/usr/bin/env bash
# Whole-server load test (called by `make bench`): for --sync full (the default) and --sync normal,
# starts the real `kefu serve` on a free loopback port with a temporary data directory (one 拼多多
# shop, 20 agents + 10 away agents made with `kefu shop add` / `kefu user add`), and runs bench/server/server_bench,
# a C++ Boost.Beast client that logs the agents in, puts them online, opens their /ws sockets and
# measures: buyer-message throughput (acked 201 AND received on an agent socket), open-loop ack
# latency at 5,000 msg/s, RSS with 10,000 idle WebSockets, and the raw SQLite limit for the same
# rows (its ratio to kefu). Server and load generator share this machine's cores.
# usage: bench/run-server.sh BUILD_DIR   (env: KEFU_BIN to use another kefu binary,
#        BENCH_SECONDS=10, BENCH_IDLE=10000, BENCH_SYNC="full normal", BENCH_CONNS=1024,
#        KEFU_SERVE_ARGS="--threads 1" for extra flags of kefu serve)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
kefu=${KEFU_BIN:-$build/kefu}
bench="$build/bench/server/server_bench"
seconds=${BENCH_SECONDS:-10}
idle=${BENCH_IDLE:-10000}
syncs=${BENCH_SYNC:-full normal}
# Keep-alive connections of the closed loop, one request in flight on each: a platform bridge
# for many shops has this many buyers' messages under way at once; fewer leave the server idle
# while each batch waits for its fsync.
conns=${BENCH_CONNS:-1024}
agents=20
buyers=2000
password=bench-pass-123

# A build directory configured before bench/server/ existed needs a re-configure to know the target.
ninja -C "$build" -t targets all 2>/dev/null | grep -q '^server_bench:' || cmake "$build" >/dev/null
if [ -z "${KEFU_BIN:-}" ]; then ninja -C "$build" kefu server_bench >/dev/null; else ninja -C "$build" server_bench >/dev/null; fi
# 10,000 sockets on each side plus headroom.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((idle + 1000)) ]; then
  echo "note: ulimit -n is $(ulimit -n); fewer than $idle idle sockets may open" >&2
fi

# The data directory must be on a real disk (fsync cost is part of the figure), not tmpfs.
work=$(mktemp -d "${TMPDIR:-/tmp}/kefu-bench-server.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
fs=$(df -T "$work" | awk 'NR==2 {print $2 " on " $1}')
echo "server bench: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, data on $fs;"
echo "  kefu serve and the load generator (1 thread) share these cores; the cpu lines say who used what."

busy=$(python3 - <<'PY'
import time
def busy():
    f = open("/proc/stat").readline().split()[1:]
    v = list(map(int, f))
    return sum(v[:3]) + sum(v[5:8]), sum(v[:8])
b0, t0 = busy(); time.sleep(1); b1, t1 = busy()
import os
print(f"{(b1 - b0) / (t1 - t0) * os.cpu_count():.2f}")
PY
)
echo "  other load before the run: $busy of $(nproc) cores busy (figures below drop when this is high)."

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for sync in $syncs; do
  data="$work/data-$sync"
  shop_json=$("$kefu" shop add --data "$data" --name "压测店-$sync" --platform pdd --json)
  shop_id=$(printf '%s' "$shop_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  key=$(printf '%s' "$shop_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ingest_key"])')
  names=()
  for i in $(seq 1 $agents); do
    printf '%s\n' "$password" | "$kefu" user add --data "$data" --username "bench-agent-$i" --role agent \
      --shop "$shop_id" --skills presale,aftersale --max-concurrent 100 --password-stdin --json >/dev/null
    names+=("bench-agent-$i")
  done
  # Agents who stay away: a tenth of the idle sockets are their workbench tabs.
  idle_names=()
  for i in $(seq 1 10); do
    printf '%s\n' "$password" | "$kefu" user add --data "$data" --username "bench-idle-$i" --role agent \
      --shop "$shop_id" --password-stdin --json >/dev/null
    idle_names+=("bench-idle-$i")
  done
  port=$(free_port)
  "$kefu" serve --data "$data" --port "$port" --sync "$sync" ${KEFU_SERVE_ARGS:-} >"$work/serve-$sync.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "== kefu serve --sync $sync"
  out="$work/load-$sync.txt"
  status=0
  "$bench" load --port "$port" --shop "$shop_id" --key "$key" --password "$password" --pid "$server_pid" \
    --agents "$(IFS=,; echo "${names[*]}")" --idle-agents "$(IFS=,; echo "${idle_names[*]}")" --buyers $buyers --seconds "$seconds" --rate 5000 --conns "$conns" \
    --idle "$idle" --sync "$sync" --sample-out "$work/sample-$sync.json" >"$out" || status=$?
  grep -v '^#' "$out" || true
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  if [ "$status" -ne 0 ]; then
    echo "!! load generator failed (exit $status); server log tail:"
    tail -5 "$work/serve-$sync.log"
    continue
  fi
  rate=$(awk '/^#kefu_rate/ {print $2}' "$out")
  mkdir -p "$work/raw-$sync"
  "$bench" raw --dir "$work/raw-$sync" --sync "$sync" --sample "$work/sample-$sync.json" --kefu-rate "$rate"
  rm -rf "$work/raw-$sync" "$data"
done
