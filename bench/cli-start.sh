#!/usr/bin/env bash
# How fast the CLI starts, side by side in one run (issues 15 and 23): `rundock --version`, `--help` and a no-op
# `rundock enable` (the service already in its state: Docker's work only, no agent) of three builds, each against
# `node -e 0` of the Node.js it runs on:
# - today's build: BASELINE (default main) built in a temporary folder and run on the machine's Node.js 20
#   (BASELINE_NODE), with its own compile cache;
# - the npm install: this checkout's build packed and installed with `npm install -g` into a temporary prefix, run
#   on the release Node (scripts/node.sh) with Node's compile cache (bin/rundock.js), which the warm-up runs write;
# - the single executable (build/sea.mjs) with its code cache.
# The machine is shared and its speed drifts within a minute, so the commands are measured in ROUNDS (default 5)
# one after the other, RUNS times each (default 10) per round: each ratio is taken within a round, and the report
# gives the median of the rounds' ratios and their range.
# Needs the test environment (bash scripts/test-env.sh up) and a build (npm run build); fetches BASELINE's packages
# from the npm registry (npm ci) unless BASELINE_DIR names a checkout with its build.
# Usage: [ROUNDS=5] [BASELINE=rev | BASELINE_DIR=dir] [BASELINE_NODE=/usr/bin/node] bash bench/cli-start.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
ROUNDS=${ROUNDS:-5}
NODE=$(bash scripts/node.sh)/node
OLD_NODE=${BASELINE_NODE:-/usr/bin/node}
EXTRA_PACKAGES="hyperfine" bash scripts/test-env.sh up >/dev/null
NAME=bench-cli-start
IMAGE=rundock-test/busybox:latest
OUT=$(mktemp -d)
trap 'docker rm -f "$NAME" >/dev/null 2>&1 || true; rm -rf "$OUT"' EXIT
log() { printf '[cli-start] %s\n' "$*" >&2; }

# Today's build: the baseline's tree, its packages and its build, on the Node.js it was made for.
base=${BASELINE_DIR:-}
if [ -z "$base" ]; then
  base=$OUT/baseline
  mkdir -p "$base"
  git archive "${BASELINE:-main}" | tar -x -C "$base"
  log "building ${BASELINE:-main} in $base with $("$OLD_NODE" --version)"
  (cd "$base" && PATH="$(dirname "$OLD_NODE"):$PATH" npm ci --no-audit --no-fund --loglevel=error >/dev/null &&
    PATH="$(dirname "$OLD_NODE"):$PATH" npm run build >/dev/null 2>&1)
fi
# The npm install and the executable of this checkout's build.
tarball=$(npm pack --ignore-scripts --json --pack-destination "$OUT" 2>/dev/null | "$NODE" -p 'JSON.parse(require("fs").readFileSync(0, "utf8"))[0].filename')
PATH="$(dirname "$NODE"):$PATH" npm install -g --prefix "$OUT/prefix" --offline --no-audit --no-fund --loglevel=error "$OUT/$tarball"
installed=$OUT/prefix/lib/node_modules/rundock/bin/rundock.js
"$NODE" build/sea.mjs "$OUT/rundock" >/dev/null 2>&1
log "today: $("$OLD_NODE" "$base/bin/rundock.js" --version) on $("$OLD_NODE" --version); npm install: $("$NODE" "$installed" --version) on $("$NODE" --version); executable: $("$OUT/rundock" --version)"

printf 'private_ip: 127.0.0.1\npublic_ip: 127.0.0.1\n' >"$OUT/config.yml"
# No agent answers on the status address: the no-op is Docker's work only (an agent adds one local HTTP request).
ENABLE=(enable "$NAME" --image "$IMAGE" --cmd 'httpd -f -p 8080 -h /www' --private-ip 127.0.0.1)
# Each build's own compile cache in $OUT (today's: RUNDOCK_COMPILE_CACHE; the npm install's: ~/.cache/rundock).
export RUNDOCK_AGENT=127.0.0.1:1 RUNDOCK_STATE_DIR="$OUT/state" RUNDOCK_CONFIG=/dev/null
export RUNDOCK_COMPILE_CACHE="$OUT/cache-today" XDG_CACHE_HOME="$OUT/cache-home"
declare -A BUILD=([today]="$OLD_NODE $base/bin/rundock.js" [npm]="$NODE $installed" [executable]="$OUT/rundock")
# shellcheck disable=SC2086 # BUILD's values are a program and its script, paths without spaces
${BUILD[today]} "${ENABLE[@]}" >/dev/null
for build in today npm executable; do
  # A no-op must report no change, or the comparison is meaningless.
  ${BUILD[$build]} "${ENABLE[@]}" --json | grep -q '"changed":false' || { log "$build: enable is no no-op"; exit 1; }
done

q() { printf '%q ' "$@"; }
commands=(-n 'today: node -e 0' "$OLD_NODE -e 0" -n 'release: node -e 0' "$NODE -e 0")
for build in today npm executable; do
  commands+=(-n "$build: --version" "${BUILD[$build]} --version" -n "$build: --help" "${BUILD[$build]} --help")
  commands+=(-n "$build: enable (no-op)" "${BUILD[$build]} $(q "${ENABLE[@]}")")
done
commands+=(-n 'npm: enable (no-op, no compile cache)' "env NODE_DISABLE_COMPILE_CACHE=1 ${BUILD[npm]} $(q "${ENABLE[@]}")")
commands+=(-n 'docker inspect' "docker inspect $NAME")
for round in $(seq "$ROUNDS"); do
  hyperfine --style none -N --warmup 3 --runs "$RUNS" "${commands[@]}" --export-json "$OUT/round-$round.json" >/dev/null
done

"$NODE" -e '
const [oldNode, newNode] = process.argv.slice(-2);
const rounds = process.argv.slice(1, -2).map((f) => Object.fromEntries(require(f).results.map((x) => [x.command, x])));
const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const ms = (s) => (s * 1000).toFixed(0);
// Wall time, or with `cpu` the CPU time (user + system), which a busy machine distorts less.
const time = (x, cpu) => (cpu ? x.user + x.system : x.median);
const names = Object.keys(rounds[0]);
console.log(`| command | median | min | max | CPU (user + system, mean) |  (${rounds.length} rounds of ${rounds[0][names[0]].times.length} runs)`);
console.log("|---|---|---|---|---|");
for (const name of names) {
  const times = rounds.flatMap((r) => r[name].times);
  const cpu = median(rounds.map((r) => time(r[name], true)));
  console.log(`| ${name} | ${ms(median(times))} ms | ${ms(Math.min(...times))} ms | ${ms(Math.max(...times))} ms | ${ms(cpu)} ms |`);
}
const ratio = (a, b, cpu = false) => {
  const each = rounds.map((r) => time(r[a], cpu) / time(r[b], cpu));
  return `${median(each).toFixed(2)}x (${Math.min(...each).toFixed(2)}-${Math.max(...each).toFixed(2)})`;
};
const base = { today: "today: node -e 0", npm: "release: node -e 0", executable: "release: node -e 0" };
console.log("");
console.log(`| ratio to node -e 0 of its Node (median of rounds, range) | today (${oldNode}) | npm install (${newNode}) | executable (${newNode}) |`);
console.log("|---|---|---|---|");
for (const what of ["--version", "--help", "enable (no-op)"]) {
  for (const cpu of [false, true]) {
    const cells = Object.keys(base).map((b) => ratio(`${b}: ${what}`, base[b], cpu));
    console.log(`| ${what}${cpu ? ", CPU time" : ""} | ${cells.join(" | ")} |`);
  }
}
console.log("");
for (const what of ["--version", "--help", "enable (no-op)"]) {
  const vs = (b, cpu) => ratio(`${b}: ${what}`, `today: ${what}`, cpu);
  console.log(`- ${what} against today: executable ${vs("executable")} (CPU ${vs("executable", true)}), npm install ${vs("npm")} (CPU ${vs("npm", true)})`);
}
console.log(`- npm install without the compile cache (a first run): no-op enable ${ratio("npm: enable (no-op, no compile cache)", "release: node -e 0")} node -e 0`);
console.log(`- no-op enable vs docker inspect: today ${ratio("today: enable (no-op)", "docker inspect")}, executable ${ratio("executable: enable (no-op)", "docker inspect")}`);
' "$OUT"/round-*.json "$("$OLD_NODE" --version)" "$("$NODE" --version)"
