#!/usr/bin/env bash
# Redeploys under load through nginx on one host (bench/redeploy.ts): overlap with an auto port (Connection: close
# and keep-alive) beside the fixed-port swap, in one run. Results in docs/BENCHMARKS.md.
# Usage: bash bench/redeploy.sh [REDEPLOYS]   (default 20); prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRA_PACKAGES="wrk nginx" bash scripts/test-env.sh up >/dev/null
[ -f dist/rundock.cjs ] || npm run build >/dev/null
exec node --import tsx bench/redeploy.ts "${1:-20}"
