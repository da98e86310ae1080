#!/usr/bin/env bash
# Installs (Debian packages), starts and stops the real services rundock's tests need:
# dockerd, a local image registry on 127.0.0.1:5000, and the test images built from busybox-static;
# chromium is for the web UI's browser test (test/integration/ui).
# ansible-core and ansible-lint run the Ansible tests and the collection's checks (test/integration/ansible).
# Idempotent: `up` starts only what is not running and records what it started; `down` stops only that.
set -euo pipefail
STATE_DIR=${RUNDOCK_TEST_STATE:-/tmp/rundock-test-env}
REGISTRY_ADDR=127.0.0.1:5000
PACKAGES=(docker.io docker-registry apache2-utils busybox-static etcd-server etcd-client ansible-core ansible-lint nginx wrk dnsutils dnsperf dnsmasq-base iproute2 chromium runit systemd curl)
mkdir -p "$STATE_DIR"

log() { printf '[test-env] %s\n' "$*" >&2; }

install_packages() { # install_packages NAME...: those of them not installed yet
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

wait_for() { # wait_for SECONDS CMD...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}

start_dockerd() {
  if docker info >/dev/null 2>&1; then log "dockerd already running"; return 0; fi
  log "starting dockerd"
  setsid dockerd --pidfile "$STATE_DIR/dockerd.pid" >"$STATE_DIR/dockerd.log" 2>&1 < /dev/null &
  echo started > "$STATE_DIR/dockerd.started"
  wait_for 60 docker info || { tail -20 "$STATE_DIR/dockerd.log" >&2; return 1; }
}

start_registry() {
  if curl -sf "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; then log "registry already running"; return 0; fi
  log "starting docker-registry on $REGISTRY_ADDR"
  mkdir -p "$STATE_DIR/registry-data"
  cat > "$STATE_DIR/registry.yml" <<CONF
version: 0.1
storage:
  filesystem:
    rootdirectory: $STATE_DIR/registry-data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
CONF
  setsid docker-registry serve "$STATE_DIR/registry.yml" >"$STATE_DIR/registry.log" 2>&1 < /dev/null &
  echo $! > "$STATE_DIR/registry.pid"
  wait_for 20 curl -sf "http://$REGISTRY_ADDR/v2/" || { tail -20 "$STATE_DIR/registry.log" >&2; return 1; }
}

build_images() {
  docker image inspect rundock-test/busybox:latest >/dev/null 2>&1 && return 0
  log "building rundock-test/busybox:latest from busybox-static"
  local root; root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/www" "$root/data"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
  echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> "$root/etc/passwd"
  echo 'root:x:0:' > "$root/etc/group"
  echo 'hello from rundock' > "$root/www/index.html"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' -c 'WORKDIR /' -c 'CMD ["sh"]' - rundock-test/busybox:latest >/dev/null
  rm -rf "$root"
}

up() {
  [ "$(id -u)" = 0 ] || { log "must run as root (installs packages, starts dockerd)"; exit 1; }
  # shellcheck disable=SC2086
  install_packages "${PACKAGES[@]}" ${EXTRA_PACKAGES:-}
  start_dockerd
  start_registry
  build_images
  log "ready: dockerd, registry at $REGISTRY_ADDR, image rundock-test/busybox:latest"
}

stop_pidfile() { # stop_pidfile FILE NAME
  [ -f "$1" ] || return 0
  local pid; pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $2 ($pid)"
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

down() {
  stop_pidfile "$STATE_DIR/registry.pid" docker-registry
  if [ -f "$STATE_DIR/dockerd.started" ]; then
    docker ps -q --filter label=io.rundock.test | xargs -r docker rm -f >/dev/null 2>&1 || true
    stop_pidfile "$STATE_DIR/dockerd.pid" dockerd
    rm -f "$STATE_DIR/dockerd.started"
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  packages) shift; install_packages "$@" ;; # for scripts/cluster.sh
  *) echo "usage: $0 up|down|packages NAME..." >&2; exit 2 ;;
esac
