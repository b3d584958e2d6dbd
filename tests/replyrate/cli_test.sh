#!/usr/bin/env bash
# Runs the real `kefu metrics reply-rate` binary: the contract example, stdin, --shop, bad input.
set -euo pipefail
KEFU=${1:?kefu binary}
EX=../shared/contract/examples
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cat > "$tmp/day.jsonl" <<'JSONL'
{"ts": "2026-03-05T09:00:00+08:00", "shop": "demo", "buyer": "b1", "from": "buyer", "text": "在吗"}
{"ts": "2026-03-05T09:02:00+08:00", "shop": "demo", "buyer": "b1", "from": "agent", "agent": "a1"}
{"ts": "2026-03-05T10:00:00+08:00", "shop": "demo", "buyer": "b2", "from": "buyer", "extra": {"x": [1, 2]}}

{"ts": "2026-03-05T06:01:00Z", "shop": "alpha", "buyer": "b1", "from": "buyer"}
JSONL
out=$("$KEFU" metrics reply-rate --events "$tmp/day.jsonl" --date 2026-03-05)
[ "$(echo "$out" | wc -l)" = 2 ] || fail "want 2 lines: $out"
echo "$out" | head -1 | grep -q '"shop": "alpha"' || fail "not sorted by shop: $out"
echo "$out" | tail -1 | grep -q '"consulting_buyers": 2, "invalid_buyers": 1' || fail "demo counts: $out"
echo "$out" | tail -1 | grep -q '"rates": {"3m_human": 0.5, "5m": 0.5, "15m": 0.5, "60m": 0.5}' || fail "rates: $out"
echo "$out" | head -1 | grep -q '"effective_reply_rate": 0.0' || fail "alpha: $out"
out2=$("$KEFU" metrics reply-rate --events - --date 2026-03-05 --shop demo < "$tmp/day.jsonl")
[ "$out2" = "$(echo "$out" | tail -1)" ] || fail "stdin/--shop differ: $out2"
out3=$("$KEFU" metrics reply-rate --events "$tmp/day.jsonl" --date 2026-03-06)
echo "$out3" | head -1 | grep -q '"consulting_buyers": 0, "invalid_buyers": 0, "assessed": false, "effective_reply_rate": null' || fail "empty day: $out3"
# malformed inputs: exit 2 naming the line
for bad in '{"ts": "2026-03-05T09:00:00", "shop": "s", "buyer": "b", "from": "buyer"}' \
           '{"ts": "2026-03-05T09:00:00+08:00", "shop": "s", "buyer": "b", "from": "boss"}' \
           '{"ts": "2026-03-05T09:00:00+08:00", "shop": "s", "from": "buyer"}' \
           '{"ts": "2026-03-05T09:00:00+08:00", "shop": "s", "buyer": "b", "from": ' \
           '[1, 2]' 'hello' '{"ts": 5, "shop": "s", "buyer": "b", "from": "buyer"}'; do
  { head -2 "$tmp/day.jsonl"; echo "$bad"; } > "$tmp/bad.jsonl"
  set +e; "$KEFU" metrics reply-rate --events "$tmp/bad.jsonl" --date 2026-03-05 > /dev/null 2> "$tmp/err"; rc=$?; set -e
  [ $rc = 2 ] || fail "exit $rc for: $bad"
  grep -q "line 3" "$tmp/err" || fail "no line number for: $bad: $(cat "$tmp/err")"
done
# A log of several MiB, unsorted, with ties: every thread count, stdin and --exact agree, and the
# first bad line is named when another thread finds a later one first.
python3 - "$tmp/big.jsonl" <<'PY'
import random, sys
r = random.Random(3)
with open(sys.argv[1], "w") as f:
    for i in range(40000):
        m = r.choice([7 * 60 + 50, 22 * 60 + 40]) + r.randrange(40)
        f.write('{"ts": "2026-03-%02dT%02d:%02d:00+08:00", "shop": "s%d", "buyer": "b%d", "from": "%s", "text": "亲，在的哦"}\n'
                % (3 + r.randrange(3), m // 60, m % 60, r.randrange(3), r.randrange(300),
                   r.choice(["buyer", "buyer", "agent", "robot", "auto", "system"])))
PY
one=$("$KEFU" metrics reply-rate --events "$tmp/big.jsonl" --date 2026-03-05 --days 3 --threads 1)
[ "$(echo "$one" | wc -l)" = 3 ] || fail "big log: $one"
for args in "--threads 2" "--threads 3" "--exact --threads 2"; do
  [ "$("$KEFU" metrics reply-rate --events "$tmp/big.jsonl" --date 2026-03-05 --days 3 $args)" = "$one" ] ||
    fail "big log differs with $args"
done
[ "$("$KEFU" metrics reply-rate --events - --date 2026-03-05 --days 3 --threads 2 < "$tmp/big.jsonl")" = "$one" ] ||
  fail "big log differs from stdin"
sed -e '25001s/"from": "[a-z]*"/"from": "boss"/' -e '39000s/.*/{/' "$tmp/big.jsonl" > "$tmp/bigbad.jsonl"
set +e; "$KEFU" metrics reply-rate --events "$tmp/bigbad.jsonl" --date 2026-03-05 --threads 2 > /dev/null 2> "$tmp/err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "line 25001: \"from\" must be" "$tmp/err" || fail "big bad log: exit $rc: $(cat "$tmp/err")"
set +e; "$KEFU" metrics reply-rate --events "$tmp/day.jsonl" --date 2026-03-05 --threads 0 2>/dev/null; rc=$?; set -e
[ $rc = 2 ] || fail "--threads 0 exit $rc"
set +e; "$KEFU" metrics reply-rate --events "$tmp/day.jsonl" --date 2026-02-30 2>/dev/null; rc=$?; set -e
[ $rc = 2 ] || fail "bad date exit $rc"
set +e; "$KEFU" metrics reply-rate --events /nonexistent --date 2026-03-05 2>/dev/null; rc=$?; set -e
[ $rc = 2 ] || fail "missing file exit $rc"
if [ -f "$EX/replyrate-day.jsonl" ]; then
  diff <("$KEFU" metrics reply-rate --events "$EX/replyrate-day.jsonl" --date 2026-03-05 | python3 -c '
import json,sys
for l in sys.stdin:
  o=json.loads(l); o.pop("gates",None); print(json.dumps(o,sort_keys=True))') \
       <(python3 -c '
import json
for l in open("'"$EX"'/replyrate-day.expected"): print(json.dumps(json.loads(l),sort_keys=True))') \
    || fail "contract example differs"
else
  echo "skip: $EX not present"
fi
echo "replyrate cli: ok"
