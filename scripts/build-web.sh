#!/usr/bin/env bash
# Builds the web workbench into web/dist (npm ci only when the lock file changed).
set -euo pipefail
cd "$(dirname "$0")/../web" 2>/dev/null || { echo "build-web: no web/ yet"; exit 0; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.kefu-installed ]; then
  npm ci --no-audit --no-fund
  touch node_modules/.kefu-installed
fi
npm run build
