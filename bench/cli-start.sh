#!/usr/bin/env bash
# How fast the CLI starts (issue 15), side by side in one run: `rundock --version` and `--help` against `node -e 0`,
# and a no-op `rundock enable` (the service already in its state) against `docker inspect` of the same container,
# with and without a config file. rundock runs as installed: bin/rundock.js through its shebang.
# Needs the test environment (bash scripts/test-env.sh up) and a build (npm run build).
# Usage: bash bench/cli-start.sh [RUNS]   (default 20); prints a Markdown table of medians and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
EXTRA_PACKAGES="hyperfine" bash scripts/test-env.sh up >/dev/null
NAME=bench-cli-start
IMAGE=rundock-test/busybox:latest
OUT=$(mktemp -d)
trap 'docker rm -f "$NAME" >/dev/null 2>&1 || true; rm -rf "$OUT"' EXIT
printf 'private_ip: 127.0.0.1\npublic_ip: 127.0.0.1\n' >"$OUT/config.yml"
# No agent answers on the status address: the no-op is Docker's work only (an agent adds one local HTTP request).
ENABLE=(bin/rundock.js enable "$NAME" --image "$IMAGE" --cmd 'httpd -f -p 8080 -h /www' --private-ip 127.0.0.1)
export RUNDOCK_AGENT=127.0.0.1:1 RUNDOCK_STATE_DIR="$OUT/state"
unset RUNDOCK_CONFIG
[ -e /etc/rundock/config.yml ] && echo "note: /etc/rundock/config.yml exists; the 'no config file' rows read it" >&2
"${ENABLE[@]}" >/dev/null
# A no-op must report no change, or the comparison is meaningless.
"${ENABLE[@]}" --json | grep -q '"changed":false'
RUNDOCK_CONFIG="$OUT/config.yml" "${ENABLE[@]}" --json | grep -q '"changed":false'

q() { printf '%q ' "$@"; }
hyperfine --style none -N --warmup 3 --runs "$RUNS" \
  -n 'node -e 0' 'node -e 0' \
  -n 'rundock --version' 'bin/rundock.js --version' \
  -n 'rundock --help' 'bin/rundock.js --help' \
  -n 'docker inspect' "docker inspect $NAME" \
  -n 'rundock enable (no-op)' "$(q "${ENABLE[@]}")" \
  -n 'rundock enable (no-op, config file)' "env RUNDOCK_CONFIG=$OUT/config.yml $(q "${ENABLE[@]}")" \
  --export-json "$OUT/hyperfine.json" >/dev/null

node -e '
const r = Object.fromEntries(require(process.argv[1]).results.map((x) => [x.command, x]));
const ms = (s) => (s * 1000).toFixed(0);
console.log("| command | median | mean | min | max |");
console.log("|---|---|---|---|---|");
for (const x of Object.values(r)) console.log(`| ${x.command} | ${ms(x.median)} ms | ${ms(x.mean)} ms | ${ms(x.min)} ms | ${ms(x.max)} ms |`);
const ratio = (a, b) => (r[a].median / r[b].median).toFixed(2);
console.log("");
console.log(`- --version / node -e 0: ${ratio("rundock --version", "node -e 0")}x (target: at most 1.5x)`);
console.log(`- --help / node -e 0: ${ratio("rundock --help", "node -e 0")}x (target: at most 1.5x)`);
console.log(`- no-op enable: median ${ms(r["rundock enable (no-op)"].median)} ms (target: under 120 ms), ${ratio("rundock enable (no-op)", "node -e 0")}x node -e 0, ${ratio("rundock enable (no-op)", "docker inspect")}x docker inspect`);
console.log(`- no-op enable with a config file: median ${ms(r["rundock enable (no-op, config file)"].median)} ms`);
' "$OUT/hyperfine.json"
