#!/usr/bin/env bash
# The release as users install it: `npm pack` (prepack rebuilds with the UDP addon required), `npm install -g` of
# the tarball into a temporary prefix with --offline (installing must fetch nothing: the bundle holds every
# dependency), then the state-command integration tests and the `rundock dns` smoke test against the installed
# `rundock` (RUNDOCK_BIN). Needs the test environment (dockerd, etcd: scripts/test-env.sh up) and npm ci.
# RUNDOCK_RELEASE_KEEP=DIR packs into DIR and keeps it (the tarball for the role's test: RUNDOCK_TARBALL).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${RUNDOCK_RELEASE_KEEP:-$(mktemp -d)}
mkdir -p "$work"
[ -n "${RUNDOCK_RELEASE_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
log() { printf '[test-release] %s\n' "$*" >&2; }

tarball=$(npm pack --pack-destination "$work" --json | node -e \
  'const [p] = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(p.filename)')
log "packed $tarball ($(du -k "$work/$tarball" | cut -f1) KiB)"
rm -rf "$work/prefix"
npm install -g --prefix "$work/prefix" --offline --no-audit --no-fund --loglevel=error "$work/$tarball"
bin=$work/prefix/bin/rundock
log "installed: $("$bin" --version)"
if [ -e "$work/prefix/lib/node_modules/rundock/node_modules" ]; then
  log "the install brought packages of its own: $(ls "$work/prefix/lib/node_modules/rundock/node_modules")"
  exit 1
fi
RUNDOCK_BIN=$bin node --import tsx --test --test-concurrency=1 --test-reporter=spec \
  test/integration/states.test.ts test/integration/commands.test.ts test/integration/dns/smoke.test.ts
