#!/usr/bin/env bash
# Runs every test suite and prints one summary line last: "N passed, N failed".
# Suites: C++ unit + integration tests (CTest), web unit tests (Vitest), browser tests
# (Playwright against a real `kefu demo`), and the contract checks of ../shared/contract.
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
passed=0; failed=0
log=$(mktemp -d)/tests
mkdir -p "$log"

suite() {  # suite NAME PASSED FAILED
  echo "== $1: $2 passed, $3 failed"
  passed=$((passed + $2)); failed=$((failed + $3))
}

# 1. CTest (GoogleTest cases and integration scripts, one CTest test each)
ctest --test-dir "$BUILD" --output-on-failure -j "$(nproc)" ${KEFU_QUICK:+-LE slow} 2>&1 | tee "$log/ctest.txt"
total=$(grep -Eo 'out of [0-9]+' "$log/ctest.txt" | tail -1 | grep -Eo '[0-9]+' || echo 0)
nfail=$(grep -Eo '[0-9]+ tests failed' "$log/ctest.txt" | tail -1 | grep -Eo '^[0-9]+' || echo 0)
[ -z "$total" ] && total=0
suite ctest $((total - nfail)) "$nfail"

# 2. Web unit and browser tests
if [ -f web/package.json ]; then
  for s in test:unit test:e2e; do
    if grep -q "\"$s\"" web/package.json; then
      if [ -n "${KEFU_QUICK:-}" ] && [ "$s" = test:e2e ]; then continue; fi
      (cd web && KEFU_BIN="$ROOT/$BUILD/kefu" npm run -s "$s") > "$log/$s.txt" 2>&1
      rc=$?
      cat "$log/$s.txt" | tail -40
      p=$(grep -Eo 'Tests +[0-9]+ passed|[0-9]+ passed' "$log/$s.txt" | tail -1 | grep -Eo '[0-9]+' | head -1)
      f=$(grep -Eo '[0-9]+ failed' "$log/$s.txt" | tail -1 | grep -Eo '[0-9]+' | head -1)
      p=${p:-0}; f=${f:-0}
      if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
      suite "web $s" "$p" "$f"
    fi
  done
fi

# 3. Contract checks (shapes of the CLI and HTTP contracts)
if [ -d ../shared/contract ]; then
  for c in foundation cli; do
    if python3 ../shared/contract/$c.py . > "$log/contract-$c.txt" 2>&1; then
      tail -1 "$log/contract-$c.txt"; suite "contract $c" 1 0
    else
      cat "$log/contract-$c.txt"; suite "contract $c" 0 1
    fi
  done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
