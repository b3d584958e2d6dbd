#!/usr/bin/env bash
# Builds the web workbench into web/dist (npm ci only when the lock file changed).
# Playwright browsers are never downloaded: the browser tests use Debian's /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/../web" 2>/dev/null || { echo "build-web: no web/ yet"; exit 0; }
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.kefu-installed ]; then
  npm ci --no-audit --no-fund
  touch node_modules/.kefu-installed
fi
npm run check:api
npm run lint
npm run build
