#!/usr/bin/env bash
# Builds the compliance libFuzzer target with clang in its own build dir and runs it.
# usage: tests/fuzz/run.sh [SECONDS=60] [BUILD_DIR=build-fuzz]
set -euo pipefail
secs=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=${2:-$root/build-fuzz}
if ! command -v clang++ >/dev/null; then echo "fuzz: clang++ not found; skipping" >&2; exit 0; fi
if [ ! -f "$bdir/build.ninja" ]; then
  cmake -S "$root" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEFU_FUZZ=ON \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
fi
ninja -C "$bdir" -j2 compliance_fuzz >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root"/tests/fuzz/corpus/* "$work"/
echo "fuzz: running compliance_fuzz for ${secs}s"
# Findings are written beside the fuzz build (git-ignored), and the fuzzer's own exit code is
# the test's verdict.
set +e
"$bdir/tests/fuzz/compliance_fuzz" -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 \
  -artifact_prefix="$bdir/" -print_final_stats=1 "$work" > "$work/log" 2>&1
rc=$?
grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|==[0-9]+==|SUMMARY|.*ERROR|artifact_prefix|Test unit written)" "$work/log"
[ $rc -ne 0 ] && tail -40 "$work/log"
exit $rc
