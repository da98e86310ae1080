#!/usr/bin/env bash
# Issue 21's repeat runs on the reference cluster (docs/RELIABILITY.md reports them): each fault that must take a
# frontend out of the public name within 3 s, and each that must take none out, N times (default 20); prints the
# p50/p99/max table and the false withdrawals (test/cluster/failover-repeat.ts). Builds the cluster first if it is not
# up, and takes it down again then. Hold /tmp/rundock-cluster.lock around it.
#   scripts/failover-repeat.sh [N]
set -uo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
OUT=${RUNDOCK_TEST_OUTPUT:-test-output}/failover-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
if ! bash scripts/cluster.sh status >/dev/null 2>&1; then
  bash scripts/cluster.sh up || exit 1
  trap 'RUNDOCK_CLUSTER_LOGS=$OUT/logs bash scripts/cluster.sh down' EXIT
fi
echo "each run's figures in $OUT/runs.log"
node --import tsx test/cluster/failover-repeat.ts "$N" 2>"$OUT/runs.log" | tee "$OUT/table.md"
rc=${PIPESTATUS[0]}
[ $rc -eq 0 ] || { echo "failed: see $OUT/runs.log"; tail -20 "$OUT/runs.log"; }
exit $rc
