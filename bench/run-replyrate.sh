#!/usr/bin/env bash
# Reply-rate benchmark: generates N events (default 10 million: 50k buyers, 3 shops, 30 days,
# realistic delays) into a temp file, then times the same 30-day 拼多多 query in
#   kefu metrics reply-rate   (streaming C++; wall time and peak RSS via /usr/bin/time)
#   sqlite3 CLI               (load + index + SQL in bench/replyrate/query.sql)
#   DuckDB @duckdb/node-api   (read_json + the same SQL)
# checks that all three give identical counts, prints times and ratios, and shows that kefu's
# memory does not grow with the number of events (same days asked, 7.5x more events in the file).
#   bench/run-replyrate.sh BUILD_DIR      (REPLYRATE_BENCH_EVENTS=N to change the size)
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${REPLYRATE_BENCH_EVENTS:-10000000}
KEFU="$BUILD/kefu"
GEN="$BUILD/bench/replyrate_gen_events"
[ -x "$KEFU" ] || { echo "replyrate bench: $KEFU not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kefu-rr-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ ! -x "$GEN" ]; then
  g++ -O2 -std=c++20 bench/replyrate/gen_events.cc -o "$tmp/gen" || exit 1
  GEN="$tmp/gen"
fi
DATE=2026-03-31; DAYS=30
# The 30 days asked about in UTC microseconds (+08:00) for the SQL peers.
LO_US=$(( ($(date -u -d 2026-03-02 +%s) - 8*3600) * 1000000 ))
HI_US=$(( ($(date -u -d 2026-04-01 +%s) - 8*3600) * 1000000 ))
TZ_US=$(( 8*3600*1000000 ))

echo "generating $N events (50k buyers, 3 shops, $DAYS days)..."
"$GEN" "$tmp/ev.jsonl" "$N" 50000 3 $DAYS $DATE 1 || exit 1
"$GEN" "$tmp/ev-small.jsonl" "$((N * 4 / DAYS))" 50000 3 4 $DATE 1 || exit 1
echo "file: $(du -h "$tmp/ev.jsonl" | cut -f1), $(wc -l < "$tmp/ev.jsonl") lines"

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
run_kefu() {  # FILE -> prints "seconds peak_kb cpu_seconds", rows in $tmp/kefu.json
  cat "$1" > /dev/null  # warm the page cache like the peers' loads
  /usr/bin/time -f "%e %M %U %S" -o "$tmp/time" "$KEFU" metrics reply-rate --events "$1" --date $DATE --days $DAYS > "$tmp/kefu.json" || return 1
  read -r e m u s < "$tmp/time"
  echo "$e $m $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')"
}
read -r k_s k_kb k_cpu < <(run_kefu "$tmp/ev.jsonl") || { echo "kefu failed"; exit 1; }
cp "$tmp/kefu.json" "$tmp/kefu-big.json"
# Memory: the last day (+3 gate days) of the big file vs a file holding only those 4 days at
# the same density (N*4/30 events): state is per buyer-day in range, so RSS should match.
run_day() {
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$KEFU" metrics reply-rate --events "$1" --date $DATE --days 1 > /dev/null || return 1
  cat "$tmp/time"
}
read -r kd_s kd_kb < <(run_day "$tmp/ev.jsonl")
read -r ks_s ks_kb < <(run_day "$tmp/ev-small.jsonl")
python3 - "$tmp/kefu-big.json" > "$tmp/kefu.rows" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l); a = o["answered"]
    print(o["shop"], o["consulting_buyers"], a["3m_human"], a["5m"], a["15m"], a["60m"])
PY

# sqlite3: load the JSON lines (one column), extract, index, query.
sq_s=NA; sq_cpu=NA
US=$(printf '\037')  # a column separator that never occurs in the JSON lines
if command -v sqlite3 > /dev/null; then
  sql=$(sed -e "s/:LO_US/$LO_US/g" -e "s/:HI_US/$HI_US/g" -e "s/:TZ_US/$TZ_US/g" bench/replyrate/query.sql)
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$tmp/sqtime" sqlite3 "$tmp/ev.db" > "$tmp/sqlite.rows" <<SQL || echo "sqlite3 failed"
.output /dev/null
PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
.output stdout
CREATE TABLE raw(line TEXT);
.mode ascii
.separator "$US" "\n"
.import $tmp/ev.jsonl raw
CREATE TABLE ev AS SELECT line->>'seq' AS seq, (unixepoch(line->>'ts') * 1000000) AS ts_us,
  line->>'shop' AS shop, line->>'buyer' AS buyer, line->>'from' AS sender FROM raw;
DROP TABLE raw;
CREATE INDEX ev_reply ON ev(shop, buyer, sender, ts_us);
.mode list
.separator " "
$sql
SQL
  t1=$(date +%s.%N)
  sq_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  read -r u s < "$tmp/sqtime"; sq_cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
fi

# DuckDB via @duckdb/node-api.
dk_s=NA; dk_cpu=NA
# The lock lists every platform's optional binding, so npm ci installs exactly what it names.
if (cd bench/replyrate && npm ci --silent --no-audit --no-fund > "$tmp/npm.log" 2>&1); then
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$tmp/dktime" node bench/replyrate/duckdb_peer.mjs "$tmp/ev.jsonl" $LO_US $HI_US $TZ_US > "$tmp/duckdb.rows" 2> "$tmp/duckdb.err" || cat "$tmp/duckdb.err"
  t1=$(date +%s.%N)
  dk_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  read -r u s < "$tmp/dktime"; dk_cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
else
  echo "npm ci failed: DuckDB peer skipped"; tail -5 "$tmp/npm.log"
fi

same() { diff -q "$tmp/kefu.rows" "$1" > /dev/null && echo identical || { echo DIFFERENT; diff "$tmp/kefu.rows" "$1" | head -8; }; }
echo "kefu rows:"; cat "$tmp/kefu.rows"
echo "sqlite3 vs kefu: $( [ -s "$tmp/sqlite.rows" ] && same "$tmp/sqlite.rows" || echo 'no result')"
echo "duckdb  vs kefu: $( [ -s "$tmp/duckdb.rows" ] && same "$tmp/duckdb.rows" || echo 'no result')"
ratio() { [ "$2" = NA ] && echo NA || echo "scale=1; $2 / $1" | bc; }
printf "kefu metrics reply-rate: %s s wall, %s s CPU, peak RSS %s MB (limit 3 s: %s of the limit)\n" "$k_s" "$k_cpu" "$((k_kb / 1024))" "$(echo "scale=2; $k_s / 3" | bc)"
printf "sqlite3 (load+index+query): %s s wall, %s s CPU -> kefu is %sx faster (CPU %sx)\n" "$sq_s" "$sq_cpu" "$(ratio "$k_s" "$sq_s")" "$(ratio "$k_cpu" "$sq_cpu")"
printf "duckdb (read_json+query):   %s s wall, %s s CPU -> kefu is %sx faster (CPU %sx)\n" "$dk_s" "$dk_cpu" "$(ratio "$k_s" "$dk_s")" "$(ratio "$k_cpu" "$dk_cpu")"
printf "memory, same day asked: %d-event file -> %s MB (%s s), %d-event file -> %s MB (%s s); ratio %s (streaming: about 1)\n" \
  "$((N * 4 / DAYS))" "$((ks_kb / 1024))" "$ks_s" "$N" "$((kd_kb / 1024))" "$kd_s" "$(echo "scale=2; $kd_kb / $ks_kb" | bc)"
lt() { [ "$2" != NA ] && [ "$(echo "$1 < $2" | bc)" = 1 ] && echo met || echo "NOT MET"; }
printf "targets: under 3 s wall %s; faster than sqlite3 %s; faster than duckdb %s\n" \
  "$(lt "$k_s" 3)" "$(lt "$k_s" "$sq_s")" "$(lt "$k_s" "$dk_s")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
