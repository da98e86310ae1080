#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what it needs (Debian packages, npm packages), starts dockerd and
# a local image registry, runs type checks, unit and integration tests, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --loglevel=error
bash scripts/test-env.sh up
trap 'bash scripts/test-env.sh down' EXIT
npm run test:all   # build, type check, lint, unit and integration tests
# The release tarball as users install it: npm pack, npm install -g into a temporary prefix, the state-command tests
# and a rundock dns smoke test against the installed rundock.
bash scripts/test-release.sh
# The reference cluster end to end (docs/RELIABILITY.md): three hosts as network namespaces, faults one at a time.
trap 'bash scripts/cluster.sh down; bash scripts/test-env.sh down' EXIT
bash scripts/cluster.sh up
bash scripts/cluster-test.sh   # keeps every component's log under test-output/ when a test fails
