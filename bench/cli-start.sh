#!/usr/bin/env bash
# How fast the CLI starts (issue 15), side by side in one run: `rundock --version` and `--help` against `node -e 0`,
# and a no-op `rundock enable` (the service already in its state) against `docker inspect` of the same container,
# with and without a config file. rundock runs as installed: bin/rundock.js through its shebang, with its compile
# cache (src/cli/compile-cache.ts, written by the warm-up runs; the config file row has its own, as a host with a
# config file would: a command's cache holds what its first successful run compiled); the "no compile cache" rows show
# a first run.
# The machine is shared and its speed drifts within a minute, so the commands are measured in ROUNDS (default 5)
# one after the other, RUNS times each (default 10) per round: each ratio is taken within a round, and the report
# gives the median of the rounds' ratios and their range.
# Needs the test environment (bash scripts/test-env.sh up) and a build (npm run build).
# Usage: [ROUNDS=5] bash bench/cli-start.sh [RUNS]; prints a Markdown table of medians and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
ROUNDS=${ROUNDS:-5}
EXTRA_PACKAGES="hyperfine" bash scripts/test-env.sh up >/dev/null
NAME=bench-cli-start
IMAGE=rundock-test/busybox:latest
OUT=$(mktemp -d)
trap 'docker rm -f "$NAME" >/dev/null 2>&1 || true; rm -rf "$OUT"' EXIT
printf 'private_ip: 127.0.0.1\npublic_ip: 127.0.0.1\n' >"$OUT/config.yml"
# No agent answers on the status address: the no-op is Docker's work only (an agent adds one local HTTP request).
ENABLE=(bin/rundock.js enable "$NAME" --image "$IMAGE" --cmd 'httpd -f -p 8080 -h /www' --private-ip 127.0.0.1)
export RUNDOCK_AGENT=127.0.0.1:1 RUNDOCK_STATE_DIR="$OUT/state" RUNDOCK_COMPILE_CACHE="$OUT/cache"
unset RUNDOCK_CONFIG
[ -e /etc/rundock/config.yml ] && echo "note: /etc/rundock/config.yml exists; the 'no config file' rows read it" >&2
"${ENABLE[@]}" >/dev/null
# A no-op must report no change, or the comparison is meaningless.
"${ENABLE[@]}" --json | grep -q '"changed":false'
RUNDOCK_CONFIG="$OUT/config.yml" "${ENABLE[@]}" --json | grep -q '"changed":false'

q() { printf '%q ' "$@"; }
for round in $(seq "$ROUNDS"); do
  hyperfine --style none -N --warmup 3 --runs "$RUNS" \
    -n 'node -e 0' 'node -e 0' \
    -n 'rundock --version' 'bin/rundock.js --version' \
    -n 'rundock --help' 'bin/rundock.js --help' \
    -n 'docker inspect' "docker inspect $NAME" \
    -n 'rundock enable (no-op)' "$(q "${ENABLE[@]}")" \
    -n 'rundock enable (no-op, config file)' "env RUNDOCK_CONFIG=$OUT/config.yml RUNDOCK_COMPILE_CACHE=$OUT/cache-config $(q "${ENABLE[@]}")" \
    -n 'rundock --version (no compile cache)' 'env RUNDOCK_COMPILE_CACHE=off bin/rundock.js --version' \
    -n 'rundock enable (no-op, no compile cache)' "env RUNDOCK_COMPILE_CACHE=off $(q "${ENABLE[@]}")" \
    --export-json "$OUT/round-$round.json" >/dev/null
done

node -e '
const rounds = process.argv.slice(1).map((f) => Object.fromEntries(require(f).results.map((x) => [x.command, x])));
const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const ms = (s) => (s * 1000).toFixed(0);
const names = Object.keys(rounds[0]);
console.log(`| command | median | min | max |  (${rounds.length} rounds of ${rounds[0][names[0]].times.length} runs)`);
console.log("|---|---|---|---|");
for (const name of names) {
  const times = rounds.flatMap((r) => r[name].times);
  console.log(`| ${name} | ${ms(median(times))} ms | ${ms(Math.min(...times))} ms | ${ms(Math.max(...times))} ms |`);
}
const ratio = (a, b) => {
  const each = rounds.map((r) => r[a].median / r[b].median);
  return `${median(each).toFixed(2)}x (rounds ${Math.min(...each).toFixed(2)}-${Math.max(...each).toFixed(2)})`;
};
const enable = median(rounds.flatMap((r) => r["rundock enable (no-op)"].times));
console.log("");
console.log(`- --version / node -e 0: ${ratio("rundock --version", "node -e 0")} (target: at most 1.5x)`);
console.log(`- --help / node -e 0: ${ratio("rundock --help", "node -e 0")} (target: at most 1.5x)`);
console.log(`- no-op enable: median ${ms(enable)} ms, ${ratio("rundock enable (no-op)", "node -e 0")} node -e 0 (target: under 120 ms where node -e 0 took 69 ms, 1.74x), ${ratio("rundock enable (no-op)", "docker inspect")} docker inspect`);
console.log(`- no-op enable with a config file: ${ratio("rundock enable (no-op, config file)", "node -e 0")} node -e 0`);
console.log(`- without the compile cache (a first run): --version ${ratio("rundock --version (no compile cache)", "node -e 0")}, no-op enable ${ratio("rundock enable (no-op, no compile cache)", "node -e 0")} node -e 0`);
' "$OUT"/round-*.json
