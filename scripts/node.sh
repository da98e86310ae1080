#!/usr/bin/env bash
# A supported Node.js for this checkout, whatever node the machine has (Debian 12's is 18, NodeSource's may be 20):
# the official binaries as the npm registry's node-linux-<arch> packages publish them, unpacked into
# .node/<version>-linux-<arch>/ (ignored by git), checked against the integrity pinned in scripts/node-versions.
# Nothing is fetched from anywhere but the npm registry (`npm pack`, through npm's cache). Idempotent: a release that
# is there already is not fetched again.
#
#   bash scripts/node.sh              the release Node (the first line of scripts/node-versions) for this machine;
#                                     prints its bin folder, also linked as .node/bin. Use it as the README's scripts do:
#                                       bin=$(bash scripts/node.sh) && export PATH="$bin:$PATH"
#   bash scripts/node.sh LINE [ARCH]  the pinned release of the major line LINE (22, 24, 26) or of that exact version,
#                                     for ARCH (x64, arm64; default this machine's); prints its bin folder
#   bash scripts/node.sh lines        the pinned x64 releases, one a line, the release Node first
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PINS=$ROOT/scripts/node-versions
STORE=$ROOT/.node

log() { printf '[node] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

machine_arch() {
  case "$(uname -m)" in
    x86_64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "no pinned Node.js for $(uname -m) (scripts/node-versions has x64 and arm64)" ;;
  esac
}

pins() { grep -v '^#' "$PINS" | awk 'NF == 3'; }

# pin LINE ARCH: "version integrity" of the pinned release of LINE (a major line or an exact version) for ARCH.
pin() {
  local found
  found=$(pins | awk -v line="$1" -v arch="$2" \
    '$2 == arch && ($1 == line || index($1, line ".") == 1) { print $1, $3; exit }')
  [ -n "$found" ] || die "no Node.js $1 for linux-$2 in scripts/node-versions"
  echo "$found"
}

# ensure VERSION ARCH INTEGRITY: .node/VERSION-linux-ARCH holds that release; prints its bin folder.
ensure() {
  local version=$1 arch=$2 integrity=$3
  local dir=$STORE/$version-linux-$arch
  if [ -x "$dir/bin/node" ] && [ "$(cat "$dir/.integrity" 2>/dev/null)" = "$integrity" ]; then
    echo "$dir/bin"
    return 0
  fi
  mkdir -p "$STORE"
  local work
  work=$(mktemp -d "$STORE/.fetch-XXXXXX")
  log "fetching node-linux-$arch@$version from the npm registry"
  local out got
  out=$(cd "$work" && npm pack "node-linux-$arch@$version" --json --silent --no-fund --no-audit) ||
    { rm -rf "$work"; die "npm pack node-linux-$arch@$version failed"; }
  got=$(printf '%s' "$out" | grep -o '"integrity": *"[^"]*"' | head -1 | sed 's/.*"\(sha[^"]*\)"$/\1/')
  if [ "$got" != "$integrity" ]; then
    rm -rf "$work"
    die "node-linux-$arch@$version has integrity $got, scripts/node-versions pins $integrity"
  fi
  mkdir "$work/unpacked"
  tar -xzf "$work/node-linux-$arch-$version.tgz" -C "$work/unpacked" --strip-components=1 --no-same-owner
  echo "$integrity" >"$work/unpacked/.integrity"
  rm -rf "$dir"
  mv "$work/unpacked" "$dir"
  rm -rf "$work"
  echo "$dir/bin"
}

main() {
  local arch bin
  case "${1:-}" in
    lines)
      pins | awk '$2 == "x64" { print $1 }'
      return 0
      ;;
    '')
      arch=$(machine_arch)
      read -r version integrity < <(pins | awk -v arch="$arch" '$2 == arch { print $1, $3; exit }')
      [ -n "${version:-}" ] || die "no Node.js for linux-$arch in scripts/node-versions"
      ;;
    *)
      arch=${2:-$(machine_arch)}
      read -r version integrity < <(pin "$1" "$arch")
      ;;
  esac
  bin=$(ensure "$version" "$arch" "$integrity")
  # The release Node for this machine is also .node/bin, for a PATH set by hand.
  if [ -z "${1:-}" ]; then ln -sfn "$version-linux-$arch/bin" "$STORE/bin"; fi
  echo "$bin"
}

# Two scripts of this checkout may ask at once (the demo and the tests): one fetches, the other finds it there.
mkdir -p "$STORE"
exec 9>"$STORE/.lock"
flock 9
main "$@"
