#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what it needs (a supported Node.js, Debian packages, npm
# packages), starts dockerd and a local image registry, runs type checks, lint, unit and integration tests, the
# release's tests and the reference cluster's, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each stage's time, printed when the run ends (however it ends): the suite's budget is 25 minutes.
timings=()
stage() {
  local name=$1 started=$SECONDS
  shift
  "$@"
  timings+=("$name: $((SECONDS - started)) s")
}
timings_line() { [ ${#timings[@]} -eq 0 ] || echo "[test] stages: $(IFS=';'; echo "${timings[*]}"); whole run: $SECONDS s"; }
# Test files that provision (the role's test, the Ansible module's) run in the background beside the release's tests
# and the cluster's provisioning, each on what it owns; `background NAME FILE...` starts them (output in
# test-output/NAME.log), `finish NAME` waits and fails the run if they failed.
declare -A background_pids=() background_started=()
background() {
  local name=$1
  shift
  background_started[$name]=$SECONDS
  node --import tsx --test --test-concurrency=1 --test-reporter=spec "$@" >"test-output/$name.log" 2>&1 &
  background_pids[$name]=$!
}
finish() {
  if ! wait "${background_pids[$1]}"; then
    tail -n 150 "test-output/$1.log" >&2
    echo "$1 failed (test-output/$1.log)" >&2
    exit 1
  fi
  unset "background_pids[$1]"
  timings+=("$1 (in the background): $((SECONDS - background_started[$1])) s")
  grep -E '^ℹ (tests|pass|fail) ' "test-output/$1.log" | tr '\n' ' ' | sed "s/^/$1: /"
  echo
}
# On the way out, whatever stops the run: background tests end on their own (they clean up after themselves).
finish_all() { for pid in "${background_pids[@]}"; do wait "$pid" 2>/dev/null || true; done; }
# Everything runs on the release Node (scripts/node.sh: from the npm registry into .node/), whatever node this
# machine has; the other LTS lines of scripts/node-versions are fetched meanwhile, for their unit tests.
node_bin=$(bash scripts/node.sh)
export PATH="$node_bin:$PATH"
mapfile -t other_lines < <(bash scripts/node.sh lines | tail -n +2)
bash -c 'for line; do bash scripts/node.sh "$line" >/dev/null; done' fetch "${other_lines[@]}" &
fetching=$!
stage "npm ci" npm ci --no-audit --no-fund --loglevel=error
stage "test env up" bash scripts/test-env.sh up
trap 'timings_line; bash scripts/test-env.sh down' EXIT
stage build npm run build
mkdir -p test-output
stage "npm test" npm test   # the type check, the linters and the unit tests side by side (scripts/test-quick.sh)
# Every integration test, one file at a time, but the ones that provision: they run below, in the background.
provisioning=(test/integration/ansible/role.test.ts test/integration/ansible/ansible.test.ts
  test/integration/ansible/collection.test.ts)
mapfile -t integration_files < <(find test/integration -name '*.test.ts' | sort | grep -v -x -F "${provisioning[@]/#/-e}")
stage integration node --import tsx --test --test-concurrency=1 --test-reporter=spec "${integration_files[@]}"
# The release (npm run release), then its tests as users install it: the npm tarball installed with npm install -g
# --offline, and the single executable on a host without Node.js (a chroot), each running the state-command tests and
# DNS; the arm64 executable under qemu.
stage "release build" bash scripts/test-release.sh build
version=$(node -p 'require("./package.json").version')
# The role's test provisions a host of its own (a network namespace with its own dockerd) with ansible-playbook for
# about 6 minutes: it runs from here, on the release's executable and tarball, beside the release's tests and the
# cluster's provisioning. The cluster's fault tests start once every background test has ended.
RUNDOCK_EXECUTABLE="$PWD/release/rundock-$version-linux-x64" RUNDOCK_TARBALL="$PWD/release/rundock-$version.tgz" \
  background "role test" test/integration/ansible/role.test.ts
trap 'timings_line; finish_all; bash scripts/test-env.sh down' EXIT
stage release env RUNDOCK_RELEASE_DIR=release bash scripts/test-release.sh
# The Ansible module's and the collection's tests (the module against this host's dockerd, containers of their own
# names; no agent) beside the cluster's provisioning, once the release's tests have left this host's dockerd.
background "ansible tests" test/integration/ansible/ansible.test.ts test/integration/ansible/collection.test.ts
# The unit tests on the other LTS lines, at a lower priority, in the background too (each line's output in
# test-output/unit-node-<version>.log): beside the cluster's provisioning, not beside tests with timing in their
# assertions.
wait "$fetching"
mapfile -t unit_files < <(find src test/unit -name '*.test.ts' | sort)
declare -A unit_runs=()
for line in "${other_lines[@]}"; do
  PATH="$(bash scripts/node.sh "$line"):$PATH" nice -n 10 node --import tsx --test --test-reporter=spec \
    "${unit_files[@]}" >"test-output/unit-node-$line.log" 2>&1 &
  unit_runs[$line]=$!
done
# The reference cluster end to end (docs/RELIABILITY.md): three hosts as network namespaces with no Node.js on PATH,
# provisioned with the executable, faults one at a time.
trap 'timings_line; finish_all; bash scripts/cluster.sh down; bash scripts/test-env.sh down' EXIT
stage "cluster up" env RUNDOCK_CLUSTER_EXECUTABLE="release/rundock-$version-linux-x64" bash scripts/cluster.sh up
finish "ansible tests"
finish "role test"
for line in "${!unit_runs[@]}"; do
  if ! wait "${unit_runs[$line]}"; then
    tail -n 60 "test-output/unit-node-$line.log" >&2
    echo "unit tests failed on Node.js $line (test-output/unit-node-$line.log)" >&2
    exit 1
  fi
  grep -E '^ℹ (tests|pass|fail) ' "test-output/unit-node-$line.log" | tr '\n' ' ' | sed "s/^/unit tests on Node.js $line: /"
  echo
done
stage "cluster tests" bash scripts/cluster-test.sh   # keeps every component's log under test-output/ when a test fails
