#!/usr/bin/env bash
# Integration-test lanes: several integration test files at once on one machine, each against a Docker engine of its
# own (an agent takes its engine for itself: one agent per engine). Needs scripts/test-env.sh up (lane 1 is the
# host's dockerd, and the other lanes copy its test image).
#   bash scripts/test-lane.sh up N     lane N (2..4): network namespace itN with its own containerd and dockerd
#                                      (unix:///run/itN/docker.sock), a docker-registry on its 127.0.0.1:5000 and the
#                                      test image. Idempotent.
#   bash scripts/test-lane.sh run CMD...
#                                      CMD in the first free lane (waits for one): lane 1 under the lock
#                                      /tmp/rundock-itest.lock, lanes 2..4 inside their namespace with DOCKER_HOST set,
#                                      e.g. `bash scripts/test-lane.sh run node --import tsx --test test/integration/locks.test.ts`.
set -euo pipefail
up() {
  local L=it$1 sock=/run/it$1/docker.sock
  [ -e /var/run/netns/$L ] || { ip netns add $L; ip netns exec $L ip link set lo up; }
  mkdir -p /run/$L /var/lib/$L
  if ! DOCKER_HOST=unix://$sock docker info >/dev/null 2>&1; then
    nsenter --net=/var/run/netns/$L setsid containerd --address /run/$L/containerd.sock --root /var/lib/$L/containerd --state /run/$L/containerd >/tmp/$L-containerd.log 2>&1 </dev/null &
    sleep 2
    nsenter --net=/var/run/netns/$L setsid dockerd --data-root /var/lib/$L/docker --exec-root /run/$L/docker -H unix://$sock --pidfile /run/$L/docker.pid --containerd /run/$L/containerd.sock >/tmp/$L-dockerd.log 2>&1 </dev/null &
    for _ in $(seq 1 60); do DOCKER_HOST=unix://$sock docker info >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  DOCKER_HOST=unix://$sock docker image inspect rundock-test/busybox:latest >/dev/null 2>&1 ||
    docker -H unix:///var/run/docker.sock save rundock-test/busybox:latest | DOCKER_HOST=unix://$sock docker load >/dev/null
  if ! nsenter --net=/var/run/netns/$L curl -sf http://127.0.0.1:5000/v2/ >/dev/null; then
    nsenter --net=/var/run/netns/$L setsid docker-registry serve /tmp/rundock-test-env/registry.yml >/tmp/$L-registry.log 2>&1 </dev/null &
    sleep 1
  fi
}
if [ "${1:-}" = run ]; then
  shift
  [ $# -gt 0 ] || { echo "usage: test-lane.sh run CMD..." >&2; exit 2; }
  while :; do
    for lane in 1 2 3 4; do
      if [ $lane = 1 ]; then lock=/tmp/rundock-itest.lock; else lock=/tmp/rundock-itest-lane$lane.lock; [ -e /var/run/netns/it$lane ] || continue; fi
      exec {fd}>"$lock"
      if flock -n "$fd"; then
        echo "[test-lane] lane $lane" >&2
        if [ $lane = 1 ]; then "$@"; exit $?; fi
        exec nsenter --net=/var/run/netns/it$lane env DOCKER_HOST=unix:///run/it$lane/docker.sock RUNDOCK_ITEST_LANE=$lane "$@"
      fi
      exec {fd}>&-
    done
    sleep 3
  done
fi
case "${1:-}" in up) up "$2" ;; *) echo "usage: test-lane.sh up N | run CMD..." >&2; exit 2 ;; esac
