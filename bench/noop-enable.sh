#!/usr/bin/env bash
# Measures a no-op `rundock enable` (service already in its state) beside the same no-op through Ansible's
# community.docker.docker_container, in one run on the same machine, and rundock's peak memory.
# Needs the test environment (bash scripts/test-env.sh up) and a build (npm run build).
# Usage: bash bench/noop-enable.sh [RUNS]   (default 20); prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
EXTRA_PACKAGES="ansible python3-docker hyperfine time" bash scripts/test-env.sh up >/dev/null
IMAGE=rundock-test/busybox:latest
OUT=$(mktemp -d)
RD=(node bin/rundock.js enable bench-noop --image "$IMAGE" --cmd 'httpd -f -p 8080 -h /www' --private-ip 127.0.0.1)
ANSIBLE=(ansible localhost -c local -i localhost, -m community.docker.docker_container
  -a "name=bench-noop-ansible image=$IMAGE command='httpd -f -p 8080 -h /www' state=started restart_policy=unless-stopped")
"${RD[@]}" >/dev/null
ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 "${ANSIBLE[@]}" >/dev/null
# A no-op must report no change, or the comparison is meaningless.
"${RD[@]}" --json | grep -q '"changed":false'
ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 "${ANSIBLE[@]}" | grep -q '"changed": false'

q() { printf '%q ' "$@"; }
ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 hyperfine --style none --warmup 2 --runs "$RUNS" \
  -n 'rundock enable (no-op)' "$(q "${RD[@]}")" \
  -n 'ansible docker_container (no-op)' "$(q "${ANSIBLE[@]}")" \
  --export-json "$OUT/hyperfine.json" >/dev/null

peak_kb=0
for _ in 1 2 3 4 5; do
  kb=$(/usr/bin/time -f '%M' "${RD[@]}" 2>&1 >/dev/null | tail -1)
  [ "$kb" -gt "$peak_kb" ] && peak_kb=$kb
done

node -e '
const r = require(process.argv[1]).results;
const [rd, an] = r;
const ms = (s) => (s * 1000).toFixed(0);
console.log("| command | mean | median | min | max |");
console.log("|---|---|---|---|---|");
for (const x of r) console.log(`| ${x.command} | ${ms(x.mean)} ms | ${ms(x.median)} ms | ${ms(x.min)} ms | ${ms(x.max)} ms |`);
console.log(`\nratio (ansible / rundock, median): ${(an.median / rd.median).toFixed(1)}x`);
console.log(`rundock peak RSS over 5 runs: ${(Number(process.argv[2]) / 1024).toFixed(1)} MiB`);
' "$OUT/hyperfine.json" "$peak_kb"
docker rm -f bench-noop bench-noop-ansible >/dev/null
rm -rf "$OUT"
