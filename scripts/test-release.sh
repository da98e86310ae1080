#!/usr/bin/env bash
# The release as users install it (docs/release.md), from `npm run release` (or RUNDOCK_RELEASE_DIR, a release/
# folder made already): SHA256SUMS checked, then
# 1. the npm tarball: `npm install -g` into a temporary prefix with --offline (installing must fetch nothing: the
#    bundle holds every dependency), then the state-command integration tests and the `rundock dns` smoke test
#    against the installed `rundock` (RUNDOCK_BIN);
# 2. the single executable for linux-x64 on a host without Node.js: a chroot holding the executable, the C libraries
#    it links, nginx (for `rundock gateway`) and /etc's name service files, nothing of Node.js, with /proc, /dev,
#    /sys, /tmp and /run (Docker's socket) bound in from this machine in a mount namespace of each run's own. The
#    state tests and test/release/executable.test.ts (--version, dns with the batched UDP engine and no file left in
#    TMPDIR, dns --workers, agent, gateway, ui) run against it; the linux-arm64 executable answers DNS under
#    qemu-user-static.
# Needs the test environment (dockerd: scripts/test-env.sh up) and npm ci. `test-release.sh build` makes the release
# and tests nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log() { printf '[test-release] %s\n' "$*" >&2; }
tests() { node --import tsx --test --test-concurrency=1 --test-reporter=spec "$@"; }

# The cross-build tools of the arm64 executable and what runs it here (build/release.mjs says why when one is missing).
bash scripts/test-env.sh packages gcc-aarch64-linux-gnu libstdc++6-arm64-cross qemu-user-static
# `test-release.sh build`: only the release into release/ (scripts/test.sh then runs the tests on it with
# RUNDOCK_RELEASE_DIR=release, while other work uses it).
if [ "${1:-}" = build ]; then exec npm run --silent release; fi
release=${RUNDOCK_RELEASE_DIR:-release}
[ -n "${RUNDOCK_RELEASE_DIR:-}" ] || npm run --silent release
release=$(realpath "$release") # a relative path would be a GitHub repository to npm, and the tests run elsewhere
version=$(node -p 'require("./package.json").version')
(cd "$release" && sha256sum -c --quiet SHA256SUMS) || { log "SHA256SUMS does not match $release/"; exit 1; }
for file in "rundock-$version.tgz" "rundock-$version-linux-x64" "rundock-$version-linux-arm64"; do
  grep -q "  $file\$" "$release/SHA256SUMS" || { log "$release/ has no $file in SHA256SUMS"; exit 1; }
done

log "the npm tarball: npm install -g --offline"
npm install -g --prefix "$work/prefix" --offline --no-audit --no-fund --loglevel=error "$release/rundock-$version.tgz"
bin=$work/prefix/bin/rundock
log "installed: $("$bin" --version)"
if [ -e "$work/prefix/lib/node_modules/rundock/node_modules" ]; then
  log "the install brought packages of its own: $(ls "$work/prefix/lib/node_modules/rundock/node_modules")"
  exit 1
fi
RUNDOCK_BIN=$bin tests test/integration/states.test.ts test/integration/commands.test.ts \
  test/integration/dns/smoke.test.ts

# install_program FILE ROOT PATH: FILE at ROOT/PATH, and every C library it links (ldd) at its own path under ROOT.
install_program() {
  local lib
  install -D -m 755 "$1" "$2$3"
  for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
    mkdir -p "$2$(dirname "$lib")" && cp -L "$lib" "$2$lib"
  done
}

log "the executable on a host without Node.js (a chroot)"
host=$work/host
mkdir -p "$host"/{etc,proc,dev,sys,tmp,run,var/log/nginx,var/lib/nginx}
ln -s ../run "$host/var/run"
install_program "$release/rundock-$version-linux-x64" "$host" /usr/local/bin/rundock
install_program /usr/sbin/nginx "$host" /usr/sbin/nginx
cp /etc/{passwd,group,hosts,nsswitch.conf,resolv.conf} "$host/etc/"
cat >"$work/rundock-on-host" <<SH
#!/bin/sh
# rundock on the host without Node.js: a mount namespace of its own, this machine's /proc, /dev, /sys, /tmp and /run
# bound into the chroot, then the executable inside it.
exec unshare --mount --propagation private -- /bin/sh -c '
  for d in proc dev sys tmp run; do mount --rbind "/\$d" "\$0/\$d" || exit 1; done
  exec chroot "\$0" /usr/local/bin/rundock "\$@"' $(printf '%q' "$host") "\$@"
SH
chmod 755 "$work/rundock-on-host"
log "on the host: rundock $("$work/rundock-on-host" --version)"
RUNDOCK_BIN=$work/rundock-on-host RUNDOCK_HOST_ROOT=$host \
  RUNDOCK_ARM64_EXECUTABLE=$release/rundock-$version-linux-arm64 \
  tests test/integration/states.test.ts test/release/executable.test.ts
