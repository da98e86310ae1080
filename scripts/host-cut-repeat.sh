#!/usr/bin/env bash
# The host-cut test, N times in a row (default 20) after the etcd fault tests, on the reference cluster:
# docs/RELIABILITY.md reports its figures. Builds the cluster first if it is not up, and takes it down again then.
#   scripts/host-cut-repeat.sh [N]
set -uo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
OUT=${RUNDOCK_TEST_OUTPUT:-test-output}/host-cut-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
built=0
if ! bash scripts/cluster.sh status >/dev/null 2>&1; then
  bash scripts/cluster.sh up || exit 1
  built=1
fi
[ $built -eq 1 ] && trap 'bash scripts/cluster.sh down' EXIT
echo "etcd fault tests first (output in $OUT/etcd-faults.log)"
RUNDOCK_TEST_OUTPUT=$OUT bash scripts/cluster-test.sh test/cluster/etcd-faults.test.ts >"$OUT/etcd-faults.log" 2>&1 ||
  { echo "the etcd fault tests failed: see $OUT/etcd-faults.log"; exit 1; }
passed=0
printf '%-4s %-6s %s\n' run result 'figure (host-faults.test.ts)'
for i in $(seq 1 "$N"); do
  log="$OUT/cut-$i.log"
  if RUNDOCK_TEST_OUTPUT=$OUT bash scripts/cluster-test.sh --test-name-pattern 'a host cut off' test/cluster/host-faults.test.ts >"$log" 2>&1; then
    result=pass; passed=$((passed + 1))
  else
    result=FAIL
  fi
  printf '%-4s %-6s %s\n' "$i" "$result" "$(grep -o 'node-back-1 cut off: .*' "$log" | head -1 | cut -c1-400)"
done
echo "$passed of $N runs passed; logs in $OUT"
[ "$passed" -eq "$N" ]
