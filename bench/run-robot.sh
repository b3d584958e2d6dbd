#!/usr/bin/env bash
# FAQ matcher benchmark: kefu vs SQLite FTS5 (trigram), minisearch and flexsearch (npm) on the
# same 10,000-entry knowledge base and the same questions, in one run. Prints each engine's
# figures (build time, match p50/p99, accuracy on tests/robot/eval) and kefu's ratios to them.
# Usage: bench/run-robot.sh BUILD_DIR   (run from anywhere; paths are taken from the repo root)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
cd "$ROOT"
BIN="$BUILD/bench/robot/robot_bench"
[ -x "$BIN" ] || cmake --build "$BUILD" --target robot_bench
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
(cd bench/robot && npm ci --no-audit --no-fund --silent >/dev/null)
"$BIN" "$OUT" > "$OUT/results.jsonl"
node bench/robot/peers.mjs "$OUT/kb10k.jsonl" tests/robot/eval/questions.jsonl >> "$OUT/results.jsonl"
python3 - "$OUT/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
k = next(r for r in rows if r["engine"] == "kefu")
print("robot bench: 10,000 FAQ entries, 5,000 lookups; accuracy = right decisions on the 555 eval questions")
with open("/proc/loadavg") as f:
    print(f"load average at the end: {f.read().split()[0]} (wall-clock tails grow with it; CPU columns are per-lookup thread CPU time, C++ engines only)")
print(f"{'engine':12} {'build ms':>9} {'p50 us':>8} {'p99 us':>8} {'cpu p50':>8} {'cpu p99':>8} {'decisions':>9} {'top1 ans':>9}")
for r in rows:
    c50 = f"{r['cpu_p50_us']:8.1f}" if r.get('cpu_p50_us', -1) >= 0 else f"{'-':>8}"
    c99 = f"{r['cpu_p99_us']:8.1f}" if r.get('cpu_p99_us', -1) >= 0 else f"{'-':>8}"
    print(f"{r['engine']:12} {r['build_ms']:9.1f} {r['p50_us']:8.1f} {r['p99_us']:8.1f} {c50} {c99} {r['decision_accuracy']:9.3f} {r['top1_answerable']:9.3f}")
for r in rows:
    if r is k: continue
    print(f"kefu vs {r['engine']}: p99 {k['p99_us']/r['p99_us']:.2f}x, p50 {k['p50_us']/r['p50_us']:.2f}x, "
          f"build {k['build_ms']/r['build_ms']:.2f}x, accuracy {k['decision_accuracy']-r['decision_accuracy']:+.3f}")
print(f"kefu p99 {k['p99_us']:.0f} us wall, {k['cpu_p99_us']:.0f} us CPU vs limit 1000 us: "
      f"wall {k['p99_us']/1000:.2f}x ({'ok' if k['p99_us'] < 1000 else 'OVER'}), "
      f"CPU {k['cpu_p99_us']/1000:.2f}x ({'ok' if k['cpu_p99_us'] < 1000 else 'OVER'}); accuracy above every peer: "
      f"{'yes' if all(k['decision_accuracy'] > r['decision_accuracy'] for r in rows if r is not k) else 'NO'}")
PY
