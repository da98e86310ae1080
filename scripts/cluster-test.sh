#!/usr/bin/env bash
# The reference cluster's fault suite (test/cluster/) against a cluster that scripts/cluster.sh built. When a test
# fails, every component's log is kept under test-output/ (RUNDOCK_TEST_OUTPUT) and the warnings rundock's components
# logged are printed, so a failing CI run keeps the evidence of what happened.
#   scripts/cluster-test.sh [node --test options, e.g. --test-name-pattern 'host cut'] [FILE...]
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${RUNDOCK_TEST_OUTPUT:-test-output}
files=()
for a in "$@"; do [[ "$a" == *.test.ts ]] && files+=("$a"); done
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(find test/cluster -name '*.test.ts' | sort)
opts=()
for a in "$@"; do [[ "$a" == *.test.ts ]] || opts+=("$a"); done
report=$(mktemp)
trap 'rm -f "$report"' EXIT
node --import tsx --test --test-concurrency=1 --test-reporter=spec "${opts[@]}" "${files[@]}" | tee "$report"
rc=${PIPESTATUS[0]}
if [ $rc -ne 0 ]; then
  dir="$OUT/cluster-$(date -u +%Y%m%dT%H%M%SZ)"
  bash scripts/cluster.sh keep-logs "$dir"
  echo "== the cluster suite failed; logs in $dir; what rundock's components warned about:" >&2
  bash scripts/cluster.sh digest >&2
  # Last, so that a CI log that keeps only its tail still shows which assertion failed and why.
  echo "== the failing tests again:" >&2
  sed -n '/failing tests:/,$p' "$report" | head -n 150 >&2
fi
exit $rc
