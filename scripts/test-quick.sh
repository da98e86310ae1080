#!/usr/bin/env bash
# `npm test`: what every change passes before it is committed, on a fresh clone after `npm ci`, with no root, no
# build and no service: the type check, the linters (ESLint, Prettier) and the unit tests, side by side on the
# machine's cores. The unit tests print as they run; the type check's and the linters' output follows when they
# fail; the last lines say how each stage ended and how long it took. Exit status 1 when any stage failed.
# Everything else (the build, integration tests against dockerd, etcd and nginx): `npm run test:all`, as root, or
# scripts/test.sh for the whole suite from a fresh machine (CONTRIBUTING.md).
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
# Stopped early (Ctrl-C), the stages in the background stop too: each one's npm, which passes the signal on.
stop_stages() { for pid in $(jobs -p); do pkill -TERM -P "$pid"; kill "$pid"; done 2>/dev/null; }
trap 'stop_stages; rm -rf "$out"' EXIT
trap 'exit 130' INT TERM

stage() { # stage NAME: runs `npm run NAME`, its output to $out/NAME, its exit status and seconds to $out/NAME.end
  local started=$SECONDS
  npm run --silent "$1" >"$out/$1" 2>&1
  echo "$? $((SECONDS - started))" >"$out/$1.end"
}

stage typecheck &
stage lint &
started=$SECONDS
npm run --silent test:unit
unit=$?
echo "$unit $((SECONDS - started))" >"$out/test:unit.end"
[ "$unit" -lt 128 ] || exit "$unit" # the unit tests were stopped: so is the rest
wait

failed=0
for name in typecheck lint test:unit; do
  read -r status seconds <"$out/$name.end"
  if [ "$status" -ne 0 ]; then
    failed=1
    [ "$name" = test:unit ] || { echo "== npm run $name"; cat "$out/$name"; }
  fi
done
for name in typecheck lint test:unit; do
  read -r status seconds <"$out/$name.end"
  printf 'npm test: %-10s %-6s %3d s\n' "$name" "$([ "$status" -eq 0 ] && echo ok || echo FAILED)" "$seconds"
done
exit $failed
