#!/usr/bin/env bash
# Enforces the dependency direction of ARCHITECTURE.md: domain modules include only core/,
# text/ and other domains' public headers — never Boost, SQLite, libpq, hiredis, server/ or
# store/. Prints each offending line; exits 1 when there is one.
set -uo pipefail
cd "$(dirname "$0")/.."
domains="conversation robot compliance replyrate orders aftersales outreach team text core"
bad=0
for d in $domains; do
  [ -d "src/$d" ] || continue
  while IFS= read -r line; do
    echo "layer violation: $line"
    bad=1
  done < <(grep -rnE '#include *[<"](boost/|sqlite3|libpq|hiredis|server/|store/|spdlog/)' "src/$d" || true)
done
# A domain's public header is the only header of it other modules may include (store/ and
# server/ are adapters: their other headers are for the wiring in server/ and cli/).
while IFS= read -r line; do
  file=${line%%:*}
  inc=$(echo "$line" | sed -E 's/.*#include *"([^"]+)".*/\1/')
  mod=${inc%%/*}
  own=$(echo "$file" | cut -d/ -f2)
  [ "$mod" = "$own" ] && continue
  case "$own" in server|cli|store) case "$mod" in store|server) continue ;; esac ;; esac
  case "$inc" in
    core/*|embedded/*|cli/cli.h) continue ;;
    "$mod/$mod.h") continue ;;
  esac
  echo "private header of another module: $line"
  bad=1
done < <(grep -rnE '#include *"[a-z_]+/[^"]+"' src --include=*.cc --include=*.h | grep -v '^src/[a-z_]*/.*#include *"\(boost\|date\|toml\)' || true)
if [ $bad -eq 0 ]; then echo "layers: ok"; fi
exit $bad
