#!/usr/bin/env bash
# Measures a no-op play of the rundock Ansible module (library/rundock.py, driving `rundock apply - --json`) beside
# the same no-op play of community.docker.docker_container, in one hyperfine run on the same machine. Both plays run
# one task on localhost over the local connection with facts off, and the service already has the requested spec,
# so both must report changed=0 (checked first). Shown for scale: the bare CLI no-op, and the floor (the same
# ansible-playbook run with a task that runs nothing on the host), which isolates what each module itself costs.
# Needs a build (npm run build); installs the full `ansible` package and python3-docker itself.
# Usage: bash bench/ansible-noop.sh [RUNS]   (default 20); prints a Markdown table and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
RUNS=${1:-20}
EXTRA_PACKAGES="ansible python3-docker hyperfine" bash scripts/test-env.sh up >/dev/null
IMAGE=rundock-test/busybox:latest
OUT=$(mktemp -d)
cleanup() { docker rm -f bench-anoop bench-anoop-dc >/dev/null 2>&1 || true; rm -rf "$OUT"; }
trap cleanup EXIT

# rundock on PATH for the module, as an installed rundock would be.
mkdir -p "$OUT/bin"
printf '#!/bin/sh\nexec %q %q "$@"\n' "$(command -v node)" "$REPO/bin/rundock.js" > "$OUT/bin/rundock"
chmod +x "$OUT/bin/rundock"
printf 'localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' > "$OUT/hosts"
cat > "$OUT/rundock.yml" <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - rundock:
        name: bench-anoop
        image: $IMAGE
        cmd: httpd -f -p 8080 -h /www
        private_ip: 127.0.0.1
EOF
cat > "$OUT/docker_container.yml" <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - community.docker.docker_container:
        name: bench-anoop-dc
        image: $IMAGE
        command: httpd -f -p 8080 -h /www
        state: started
        restart_policy: unless-stopped
EOF

# The floor: the same ansible-playbook run with a task that executes nothing on the host.
cat > "$OUT/floor.yml" <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.meta: noop
EOF

export PATH="$OUT/bin:$PATH" ANSIBLE_LIBRARY="$REPO/library" RUNDOCK_CONFIG=/dev/null ANSIBLE_NOCOLOR=1 \
  ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCAL_TEMP="$OUT/tmp" ANSIBLE_REMOTE_TEMP="$OUT/tmp"
RD_PLAY=(ansible-playbook -i "$OUT/hosts" "$OUT/rundock.yml")
DC_PLAY=(ansible-playbook -i "$OUT/hosts" "$OUT/docker_container.yml")
FLOOR=(ansible-playbook -i "$OUT/hosts" "$OUT/floor.yml")
CLI=(node bin/rundock.js enable bench-anoop --image "$IMAGE" --cmd 'httpd -f -p 8080 -h /www' --private-ip 127.0.0.1)
"${RD_PLAY[@]}" >/dev/null
"${DC_PLAY[@]}" >/dev/null
# A no-op must report no change, or the comparison is meaningless.
# (Output is captured first: grep -q would close the pipe under ansible-playbook.)
noop() { local out; out=$("${@:2}"); grep -q "$1" <<<"$out" || { printf 'not a no-op: %s\n%s\n' "${*:2}" "$out" >&2; exit 1; }; }
noop 'ok=1 .*changed=0' "${RD_PLAY[@]}"
noop 'ok=1 .*changed=0' "${DC_PLAY[@]}"
noop '"changed":false' "${CLI[@]}" --json

q() { printf '%q ' "$@"; }
hyperfine --style none --warmup 2 --runs "$RUNS" \
  -n 'ansible-playbook: rundock module (no-op)' "$(q "${RD_PLAY[@]}")" \
  -n 'ansible-playbook: community.docker.docker_container (no-op)' "$(q "${DC_PLAY[@]}")" \
  -n 'rundock enable, CLI alone (no-op)' "$(q "${CLI[@]}")" \
  -n 'ansible-playbook: meta noop (floor)' "$(q "${FLOOR[@]}")" \
  --export-json "$OUT/hyperfine.json" >/dev/null

node -e '
const [rd, dc, cli, floor] = require(process.argv[1]).results;
const ms = (s) => (s * 1000).toFixed(0);
console.log("| command | mean | median | min | max |");
console.log("|---|---|---|---|---|");
for (const x of [rd, dc, cli, floor]) console.log(`| ${x.command} | ${ms(x.mean)} ms | ${ms(x.median)} ms | ${ms(x.min)} ms | ${ms(x.max)} ms |`);
console.log(`\nratio (docker_container play / rundock play, median): ${(dc.median / rd.median).toFixed(2)}x`);
const [ra, da] = [rd.median - floor.median, dc.median - floor.median];
const aboveRatio = ra > 0 && da > 0 ? `${(da / ra).toFixed(2)}x` : "n/a (noise larger than the difference: re-run on a quiet machine)";
console.log(`above the floor (play median - floor median): rundock module ${ms(ra)} ms, docker_container ${ms(da)} ms, ratio ${aboveRatio}`);
' "$OUT/hyperfine.json"
