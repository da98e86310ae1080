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
stage "npm test" npm test   # the type check, the linters and the unit tests side by side (scripts/test-quick.sh)
# The unit tests on the other LTS lines, at a lower priority beside the integration tests (which mostly wait on Docker,
# etcd and nginx); each line's output in test-output/unit-node-<version>.log.
wait "$fetching"
mkdir -p test-output
mapfile -t unit_files < <(find src test/unit -name '*.test.ts' | sort)
declare -A unit_runs=()
for line in "${other_lines[@]}"; do
  PATH="$(bash scripts/node.sh "$line"):$PATH" nice -n 10 node --import tsx --test --test-reporter=spec \
    "${unit_files[@]}" >"test-output/unit-node-$line.log" 2>&1 &
  unit_runs[$line]=$!
done
# Every integration test but the role's (below), one file at a time.
mapfile -t integration_files < <(find test/integration -name '*.test.ts' ! -path '*/ansible/role.test.ts' | sort)
stage integration node --import tsx --test --test-concurrency=1 --test-reporter=spec "${integration_files[@]}"
for line in "${!unit_runs[@]}"; do
  if ! wait "${unit_runs[$line]}"; then
    tail -n 60 "test-output/unit-node-$line.log" >&2
    echo "unit tests failed on Node.js $line (test-output/unit-node-$line.log)" >&2
    exit 1
  fi
  grep -E '^ℹ (tests|pass|fail) ' "test-output/unit-node-$line.log" | tr '\n' ' ' | sed "s/^/unit tests on Node.js $line: /"
  echo
done
# The release (npm run release), then its tests as users install it: the npm tarball installed with npm install -g
# --offline, and the single executable on a host without Node.js (a chroot), each running the state-command tests and
# DNS; the arm64 executable under qemu.
stage "release build" bash scripts/test-release.sh build
version=$(node -p 'require("./package.json").version')
# Every integration test ran above but the role's: it provisions a host of its own (a network namespace with its own
# dockerd) with ansible-playbook for about 5 minutes, so it runs from here in the background, on the release's
# executable and tarball, beside the release's tests and the cluster's provisioning (as independent of it); the
# cluster's fault tests start only once it has ended.
role_started=$SECONDS
RUNDOCK_EXECUTABLE="$PWD/release/rundock-$version-linux-x64" RUNDOCK_TARBALL="$PWD/release/rundock-$version.tgz" \
  node --import tsx --test --test-reporter=spec test/integration/ansible/role.test.ts >test-output/role.log 2>&1 &
role=$!
trap 'timings_line; wait $role 2>/dev/null || true; bash scripts/test-env.sh down' EXIT
stage release env RUNDOCK_RELEASE_DIR=release bash scripts/test-release.sh
# The reference cluster end to end (docs/RELIABILITY.md): three hosts as network namespaces with no Node.js on PATH,
# provisioned with the executable, faults one at a time.
trap 'timings_line; wait $role 2>/dev/null || true; bash scripts/cluster.sh down; bash scripts/test-env.sh down' EXIT
stage "cluster up" env RUNDOCK_CLUSTER_EXECUTABLE="release/rundock-$version-linux-x64" bash scripts/cluster.sh up
if ! wait $role; then
  tail -n 150 test-output/role.log >&2
  echo "the role's test failed (test-output/role.log)" >&2
  exit 1
fi
timings+=("role test (beside release and cluster up): $((SECONDS - role_started)) s")
grep -E '^ℹ (tests|pass|fail) ' test-output/role.log | tr '\n' ' ' | sed 's/^/role test: /'
echo
stage "cluster tests" bash scripts/cluster-test.sh   # keeps every component's log under test-output/ when a test fails
