#!/usr/bin/env bash
# Does a lazily loaded etcd bundle still pay (issue 23)? Until then etcd3, gRPC and protobufjs (a third of the code)
# were a file of their own that only the commands talking to etcd read. Now the bundle holds them, as the single
# executable must (it runs one script), in functions that run on first use. This builds the bundle twice, as it is
# and with etcd3 and @grpc/grpc-js left out (what a separate file would save every other command), each run on the
# release Node with Node's compile cache in a folder of its own, and measures side by side in ROUNDS (default 5) of
# RUNS (default 10): `--version` and a no-op `enable`, which never load etcd. Ratios are taken within a round.
# Needs the test environment (bash scripts/test-env.sh up) and npm ci.
# Usage: [ROUNDS=5] bash bench/etcd-split.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
ROUNDS=${ROUNDS:-5}
NODE=$(bash scripts/node.sh)/node
EXTRA_PACKAGES="hyperfine" bash scripts/test-env.sh up >/dev/null
NAME=bench-etcd-split
OUT=$(mktemp -d "$PWD/.bench-XXXXXX") # in the checkout: the bundles' requires resolve against node_modules
trap 'docker rm -f "$NAME" >/dev/null 2>&1 || true; rm -rf "$OUT"' EXIT
"$NODE" --input-type=module -e '
import { build } from "esbuild";
import { bundleOptions } from "./build/bundle.mjs";
const out = process.argv[1];
await build(await bundleOptions({ outdir: `${out}/inline` }));
await build(await bundleOptions({ outdir: `${out}/split`, external: ["etcd3", "@grpc/grpc-js"] }));
' "$OUT"
for variant in inline split; do
  printf "require('node:module').enableCompileCache('%s');\nrequire('./rundock.cjs').run(process.argv.slice(2));\n" \
    "$OUT/$variant/cache" >"$OUT/$variant/run.cjs"
done
ls -l "$OUT"/*/rundock.cjs >&2
ENABLE=(enable "$NAME" --image rundock-test/busybox:latest --cmd 'httpd -f -p 8080 -h /www' --private-ip 127.0.0.1)
export RUNDOCK_AGENT=127.0.0.1:1 RUNDOCK_STATE_DIR="$OUT/state" RUNDOCK_CONFIG=/dev/null
"$NODE" "$OUT/inline/run.cjs" "${ENABLE[@]}" >/dev/null
"$NODE" "$OUT/split/run.cjs" "${ENABLE[@]}" --json | grep -q '"changed":false'
q() { printf '%q ' "$@"; }
for round in $(seq "$ROUNDS"); do
  hyperfine --style none -N --warmup 3 --runs "$RUNS" --export-json "$OUT/round-$round.json" \
    -n 'inline: --version' "$NODE $OUT/inline/run.cjs --version" -n 'split: --version' "$NODE $OUT/split/run.cjs --version" \
    -n 'inline: enable' "$NODE $OUT/inline/run.cjs $(q "${ENABLE[@]}")" \
    -n 'split: enable' "$NODE $OUT/split/run.cjs $(q "${ENABLE[@]}")" >/dev/null
done
"$NODE" -e '
const rounds = process.argv.slice(1).map((f) => Object.fromEntries(require(f).results.map((x) => [x.command, x])));
const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const ms = (s) => (s * 1000).toFixed(0);
console.log(`| command | median | CPU (user + system) |  (${rounds.length} rounds of ${rounds[0]["inline: enable"].times.length} runs)`);
console.log("|---|---|---|");
for (const name of Object.keys(rounds[0]))
  console.log(`| ${name} | ${ms(median(rounds.flatMap((r) => r[name].times)))} ms | ${ms(median(rounds.map((r) => r[name].user + r[name].system)))} ms |`);
for (const what of ["--version", "enable"]) {
  const wall = rounds.map((r) => r[`split: ${what}`].median / r[`inline: ${what}`].median);
  const cpu = rounds.map((r) => (r[`split: ${what}`].user + r[`split: ${what}`].system) / (r[`inline: ${what}`].user + r[`inline: ${what}`].system));
  console.log(`- ${what}: split / inline ${median(wall).toFixed(3)}x wall (${Math.min(...wall).toFixed(2)}-${Math.max(...wall).toFixed(2)}), ${median(cpu).toFixed(3)}x CPU (${Math.min(...cpu).toFixed(2)}-${Math.max(...cpu).toFixed(2)})`);
}
' "$OUT"/round-*.json
