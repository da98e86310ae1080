#!/usr/bin/env bash
# The reference cluster of DESIGN.md on this one machine, for end-to-end and fault tests (test/cluster/).
#
#   scripts/cluster.sh up        build it (idempotent): hosts, Docker engines, etcd, agents, DNS, nginx + gateway,
#                                then deploy influxdb and grafana with the Ansible module (test/cluster/deploy.yml)
#   scripts/cluster.sh down      stop everything it started, remove namespaces, links and the state directory
#   scripts/cluster.sh status    what runs, per host
#   scripts/cluster.sh keep-logs DIR   a copy of every component's log (also on down with RUNDOCK_CLUSTER_LOGS=DIR)
#   scripts/cluster.sh digest    the warnings and errors rundock's components logged
#   scripts/cluster.sh deploy    run the playbook again (prints Ansible's recap)
#   scripts/cluster.sh start|stop|kill COMPONENT HOST   one component (agent etcd dockerd nginx gateway dns)
#   scripts/cluster.sh link HOST up|down                cut a host off its networks or plug it back
#   scripts/cluster.sh exec HOST CMD...                 CMD in HOST's network namespace, docker/rundock aimed at it
#
# Hosts are network namespaces with their own interfaces: node-front-1 and node-front-2 (public eth0 on 10.78.0.0/24,
# private eth1 on 10.77.0.0/24) and node-back-1 (private eth1 only). The two networks are bridges inside a namespace
# of their own (rdk-net), so the root namespace's firewall never sees their traffic; the root namespace gets 10.77.0.1
# and 10.78.0.1 on them to reach the hosts. No namespace has a default route: the hosts reach nothing but each other.
# Each host runs its own containerd and dockerd (containers use --network host inside the namespace), one etcd member
# on its private address, and a rundock agent; node-front-1 also runs `rundock dns` on 10.77.0.11:8053; both
# frontends run nginx on their public address port 80 with `rundock gateway` and announce themselves as www.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
STATE=${RUNDOCK_CLUSTER_STATE:-/tmp/rundock-cluster}
DOMAIN=s.prod.example.com
LEASE_TTL=${RUNDOCK_CLUSTER_LEASE_TTL:-15}
# Debug logs trace every record each DNS server and gateway receives and every Docker event an agent handles: what
# explains a missing record after a failed run.
LOG_LEVEL=${RUNDOCK_CLUSTER_LOG_LEVEL:-debug}
NET=rdk-net
HOSTS=(node-front-1 node-front-2 node-back-1)
FRONTENDS=(node-front-1 node-front-2)
declare -A PRIV=([node-front-1]=10.77.0.11 [node-front-2]=10.77.0.12 [node-back-1]=10.77.0.21)
declare -A PUB=([node-front-1]=10.78.0.11 [node-front-2]=10.78.0.12)
declare -A SHORT=([node-front-1]=f1 [node-front-2]=f2 [node-back-1]=b1)
ETCD_ENDPOINTS="http://10.77.0.11:2379,http://10.77.0.12:2379,http://10.77.0.21:2379"
INITIAL_CLUSTER="node-front-1=http://10.77.0.11:2380,node-front-2=http://10.77.0.12:2380,node-back-1=http://10.77.0.21:2380"
DNS_LISTEN=10.77.0.11:8053
NODE=$(command -v node)
# The CLI the cluster runs (default: this checkout's build).
RUNDOCK_BIN=${RUNDOCK_CLUSTER_BIN:-$REPO/bin/rundock.js}
# RUNDOCK_CLUSTER_GATEWAY_FROM_SOURCE=1 runs `rundock gateway` from source through tsx (the bundled gateway failed at
# start before 376648e: a dynamic import of prom-client had only a default export in the bundle).
RUNDOCK_SRC=$(cd "$(dirname "$RUNDOCK_BIN")/.." && pwd)
if [ "${RUNDOCK_CLUSTER_GATEWAY_FROM_SOURCE:-0}" = 1 ]; then
  GATEWAY_CMD=("$NODE" --import "file://$REPO/node_modules/tsx/dist/loader.mjs" --input-type=module -e
    "const { main } = await import('$RUNDOCK_SRC/src/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));")
else
  GATEWAY_CMD=("$NODE" "$RUNDOCK_BIN")
fi
PACKAGES=(iproute2 util-linux docker.io containerd etcd-server etcd-client nginx busybox-static ansible-core curl)

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

wait_for() { # wait_for SECONDS CMD...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

install_packages() {
  bash "$REPO/scripts/test-env.sh" packages "${PACKAGES[@]}"
}

hostdir() { echo "$STATE/hosts/$1"; }
dsock() { echo "$STATE/hosts/$1/run/docker.sock"; }
csock() { echo "$STATE/hosts/$1/run/containerd.sock"; }
pidfile() { echo "$STATE/pids/$1-$2.pid"; }
is_host() { local h; for h in "${HOSTS[@]}"; do [ "$h" = "$1" ] && return 0; done; return 1; }
is_frontend() { [ -n "${PUB[$1]:-}" ]; }
ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
in_ns() { local h=$1; shift; nsenter --net="/var/run/netns/$h" "$@"; }

alive() { # alive PIDFILE: the recorded process runs
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}
any_alive() { local f; for f in "$STATE"/pids/*.pid; do alive "$f" && return 0; done; return 1; }

# spawn COMPONENT HOST CMD...: starts CMD detached inside HOST's namespace, output to its log, pid recorded.
# nsenter and env exec, so the recorded pid is CMD's own.
spawn() {
  local comp=$1 host=$2; shift 2
  local pf; pf=$(pidfile "$comp" "$host")
  if alive "$pf"; then return 0; fi
  mkdir -p "$STATE/pids" "$STATE/logs"
  setsid nsenter --net="/var/run/netns/$host" env DOCKER_HOST="unix://$(dsock "$host")" RUNDOCK_CONFIG="$(hostdir "$host")/rundock.yml" \
    RUNDOCK_LOG_LEVEL="$LOG_LEVEL" "$@" >>"$STATE/logs/$comp-$host.log" 2>&1 </dev/null &
  echo $! >"$pf"
}

# stop_pid PIDFILE SIGNAL SECONDS: signal, wait, then SIGKILL; removes the pid file.
stop_pid() {
  local pf=$1 sig=$2 secs=$3
  [ -f "$pf" ] || return 0
  local pid; pid=$(cat "$pf")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 $((secs * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; sleep 0.2; fi
  fi
  rm -f "$pf"
}

# ---------------------------------------------------------------- network
link_exists() { ip ${2:+-n "$2"} link show "$1" >/dev/null 2>&1; }

# veth ROOTNS_NAME BRIDGE HOST IFACE ADDR: a link from HOST's IFACE (ADDR/24) to BRIDGE in rdk-net
veth() {
  local name=$1 bridge=$2 host=$3 iface=$4 addr=$5
  link_exists "$name" "$NET" && return 0
  ip link add "$name" type veth peer name "$name-h"
  ip link set "$name" netns "$NET"
  ip -n "$NET" link set "$name" master "$bridge" up
  if [ "$host" = root ]; then
    ip link set "$name-h" name "$iface"
    ip addr add "$addr/24" dev "$iface"
    ip link set "$iface" up
  else
    ip link set "$name-h" netns "$host"
    ip -n "$host" link set "$name-h" name "$iface"
    ip -n "$host" addr add "$addr/24" dev "$iface"
    ip -n "$host" link set "$iface" up
  fi
}

net_up() {
  ns_exists "$NET" || ip netns add "$NET"
  ip -n "$NET" link set lo up
  local br
  for br in br-priv br-pub; do
    link_exists "$br" "$NET" || ip -n "$NET" link add "$br" type bridge
    ip -n "$NET" link set "$br" up
  done
  veth rdk-priv br-priv root rdk-priv0 10.77.0.1
  veth rdk-pub br-pub root rdk-pub0 10.78.0.1
  local h
  for h in "${HOSTS[@]}"; do
    ns_exists "$h" || ip netns add "$h"
    ip -n "$h" link set lo up
    veth "${SHORT[$h]}-priv" br-priv "$h" eth1 "${PRIV[$h]}"
    if is_frontend "$h"; then veth "${SHORT[$h]}-pub" br-pub "$h" eth0 "${PUB[$h]}"; fi
  done
}

net_down() {
  local h
  for h in "${HOSTS[@]}" "$NET"; do
    ns_exists "$h" || continue
    # Anything still running in the namespace was started by this script: end it by pid.
    local pids; pids=$(ip netns pids "$h" 2>/dev/null || true)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
    ip netns del "$h"
  done
  ip link del rdk-priv0 2>/dev/null || true
  ip link del rdk-pub0 2>/dev/null || true
}

# link HOST up|down: the host's cables, unplugged at the bridge (the host's own interfaces keep their addresses)
link_set() {
  local h=$1 state=$2
  is_host "$h" || die "unknown host $h"
  ip -n "$NET" link set "${SHORT[$h]}-priv" "$state"
  if is_frontend "$h"; then ip -n "$NET" link set "${SHORT[$h]}-pub" "$state"; fi
}

# ---------------------------------------------------------------- per-host files
host_files() {
  local h=$1 d; d=$(hostdir "$h")
  mkdir -p "$d/run" "$d/containerd" "$d/containerd-state" "$d/docker" "$d/docker-exec" "$d/agent"
  printf 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n' >"$d/containerd.toml"
  echo '{}' >"$d/daemon.json"
  {
    echo "hostname: $h"
    echo "state_dir: $d/state"
    echo "private_iface: eth1"
    if is_frontend "$h"; then echo "public_iface: eth0"; else echo "public_iface: eth1"; fi
  } >"$d/rundock.yml"
  # The Ansible interpreter for this host: python3 in its namespace, with docker and rundock aimed at it.
  cat >"$d/python3" <<SH
#!/bin/sh
exec nsenter --net=/var/run/netns/$h env DOCKER_HOST=unix://$(dsock "$h") RUNDOCK_CONFIG=$d/rundock.yml python3 "\$@"
SH
  chmod 755 "$d/python3"
}

# ---------------------------------------------------------------- components
start_dockerd() {
  local h=$1 d; d=$(hostdir "$h")
  spawn containerd "$h" containerd --config "$d/containerd.toml" --address "$(csock "$h")" --root "$d/containerd" --state "$d/containerd-state"
  wait_for 30 test -S "$(csock "$h")" || die "containerd on $h did not start (see $STATE/logs/containerd-$h.log)"
  spawn dockerd "$h" dockerd --config-file "$d/daemon.json" --data-root "$d/docker" --exec-root "$d/docker-exec" \
    -H "unix://$(dsock "$h")" --pidfile "$d/run/dockerd.pid" --containerd "$(csock "$h")" \
    --bridge=none --iptables=false --ip-masq=false --userland-proxy=false
  wait_for 60 docker -H "unix://$(dsock "$h")" info || die "dockerd on $h did not start (see $STATE/logs/dockerd-$h.log)"
}

busybox_tar() {
  local tar=$STATE/busybox-rootfs.tar
  [ -f "$tar" ] && { echo "$tar"; return 0; }
  local root; root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/www"
  cp "$(command -v busybox)" "$root/bin/busybox"
  local applet
  for applet in $("$root/bin/busybox" --list); do [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  echo 'influxdb stand-in: no data yet' >"$root/www/index.html"
  tar -C "$root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
  rm -rf "$root"
  echo "$tar"
}

# The images each host's dockerd needs (it cannot reach a registry on the root namespace's loopback).
load_images() {
  local h=$1 dk="docker -H unix://$(dsock "$1")"
  $dk image inspect rundock-test/busybox:latest >/dev/null 2>&1 ||
    $dk import -c 'ENV PATH=/bin' -c 'WORKDIR /' -c 'CMD ["sh"]' "$(busybox_tar)" rundock-test/busybox:latest >/dev/null
  local img
  for img in influxdb grafana; do
    $dk image inspect "rundock-cluster/$img:latest" >/dev/null 2>&1 || $dk tag rundock-test/busybox:latest "rundock-cluster/$img:latest"
  done
}

start_etcd() {
  local h=$1 ip=${PRIV[$1]}
  spawn etcd "$h" etcd --name "$h" --data-dir "$(hostdir "$h")/etcd" \
    --listen-client-urls "http://$ip:2379" --advertise-client-urls "http://$ip:2379" \
    --listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
    --initial-cluster "$INITIAL_CLUSTER" --initial-cluster-state new --initial-cluster-token rundock-cluster \
    --log-level warn --logger zap
}

etcd_healthy() { ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINTS" --command-timeout 2s endpoint health >/dev/null 2>&1; }

start_agent() {
  local h=$1 extra=()
  if is_frontend "$h"; then extra=(--announce-self www); fi
  spawn agent "$h" "$NODE" "$RUNDOCK_BIN" agent --etcd "$ETCD_ENDPOINTS" --domain "$DOMAIN" --hostname "$h" \
    --lease-ttl "$LEASE_TTL" --record-ttl 1 --stable-after 2s --state-dir "$(hostdir "$h")/agent" "${extra[@]}"
  wait_for 30 in_ns "$h" curl -sf http://127.0.0.1:9476/healthz || die "agent on $h did not start (see $STATE/logs/agent-$h.log)"
}

start_dns() {
  spawn dns node-front-1 "$NODE" "$RUNDOCK_BIN" dns --etcd "$ETCD_ENDPOINTS" --domain "$DOMAIN" --listen "$DNS_LISTEN" --workers 1 --default-ttl 1
  wait_for 30 in_ns node-front-1 curl -sf http://127.0.0.1:9477/metrics || die "dns did not start (see $STATE/logs/dns-node-front-1.log)"
}

nginx_prefix() { echo "$(hostdir "$1")/nginx"; }

nginx_conf() {
  local p=$1
  mkdir -p "$p/conf/rundock" "$p/logs" "$p/tmp"
  chmod 755 "$STATE" "$STATE/hosts" "$(dirname "$p")" "$p"
  cat >"$p/conf/nginx.conf" <<CONF
worker_processes 1;
pid $p/logs/nginx.pid;
error_log $p/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $p/tmp/client_body;
    proxy_temp_path $p/tmp/proxy;
    fastcgi_temp_path $p/tmp/fastcgi;
    uwsgi_temp_path $p/tmp/uwsgi;
    scgi_temp_path $p/tmp/scgi;
    # An instance that vanished without being withdrawn yet (host cut off) costs at most the connect timeout, and a
    # request in flight to it when it vanished the read timeout (the stand-ins answer in milliseconds), then nginx
    # passes the request to the next instance.
    proxy_connect_timeout 1s;
    proxy_read_timeout 2s;
    proxy_next_upstream error timeout http_502 http_503;
    include $p/conf/rundock/*.conf;
}
CONF
}

start_nginx() {
  local h=$1 p; p=$(nginx_prefix "$1")
  [ -f "$p/conf/nginx.conf" ] || nginx_conf "$p"
  local pf; pf=$(pidfile nginx "$h")
  alive "$pf" && return 0
  in_ns "$h" nginx -p "$p/" -c "$p/conf/nginx.conf" -e "$p/logs/error.log" 2>>"$STATE/logs/nginx-$h.log" \
    || die "nginx on $h did not start"
  wait_for 10 test -s "$p/logs/nginx.pid" || die "nginx on $h wrote no pid file"
  mkdir -p "$STATE/pids"
  cp "$p/logs/nginx.pid" "$pf"
}

start_gateway() {
  local h=$1 p; p=$(nginx_prefix "$1")
  spawn gateway "$h" "${GATEWAY_CMD[@]}" gateway --etcd "$ETCD_ENDPOINTS" --domain "$DOMAIN" --hostname "$h" --lease-ttl "$LEASE_TTL" \
    --nginx-conf-dir "$p/conf/rundock" --upstream grafana=docker_grafana --route grafana.prod.example.com=grafana \
    --route-listen "${PUB[$h]}:80" --nginx-conf "$p/conf/nginx.conf" --nginx-prefix "$p/" \
    --nginx-error-log "$p/logs/error.log" --nginx-pid-file "$p/logs/nginx.pid" --min-wait 50ms --max-wait 500ms
  wait_for 30 in_ns "$h" curl -sf http://127.0.0.1:9478/healthz || die "gateway on $h did not start (see $STATE/logs/gateway-$h.log)"
}

start_component() {
  local comp=$1 h=$2
  is_host "$h" || die "unknown host $h"
  case "$comp" in
    dockerd) start_dockerd "$h" ;;
    etcd) start_etcd "$h" ;;
    agent) start_agent "$h" ;;
    dns) start_dns ;;
    nginx) start_nginx "$h" ;;
    gateway) start_gateway "$h" ;;
    *) die "unknown component $comp" ;;
  esac
}

# stop COMPONENT HOST [SIGNAL]: SIGTERM by default (nginx: SIGQUIT, graceful), SIGKILL after a grace period
stop_component() {
  local comp=$1 h=$2 sig=${3:-}
  case "$comp" in
    nginx) stop_pid "$(pidfile nginx "$h")" "${sig:-QUIT}" 10 ;;
    dockerd) stop_pid "$(pidfile dockerd "$h")" "${sig:-TERM}" 30 ;;
    containerd|etcd|agent|dns|gateway) stop_pid "$(pidfile "$comp" "$h")" "${sig:-TERM}" 10 ;;
    *) die "unknown component $comp" ;;
  esac
}

deploy() {
  local a=$STATE/ansible
  mkdir -p "$a"
  {
    echo "[influxdb]"
    echo "node-back-1 ansible_connection=local ansible_python_interpreter=$(hostdir node-back-1)/python3"
    echo "[grafana]"
    echo "node-back-1 ansible_connection=local ansible_python_interpreter=$(hostdir node-back-1)/python3"
    echo "node-front-2 ansible_connection=local ansible_python_interpreter=$(hostdir node-front-2)/python3"
  } >"$a/hosts"
  ANSIBLE_LIBRARY="$REPO/library" ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
    ANSIBLE_LOCAL_TEMP="$a/tmp-local" ANSIBLE_REMOTE_TEMP="$a/tmp-remote" ANSIBLE_HOST_KEY_CHECKING=0 \
    ansible-playbook -i "$a/hosts" "$REPO/test/cluster/deploy.yml" \
    -e "rundock_node=$NODE" -e "rundock_bin=$RUNDOCK_BIN" -e "rundock_domain=$DOMAIN" "$@"
}

up() {
  [ "$(id -u)" = 0 ] || die "must run as root (namespaces, dockerd)"
  install_packages
  [ -f "$REPO/dist/rundock.mjs" ] || (cd "$REPO" && npm run build >/dev/null)
  if [ -d "$STATE" ] && ! any_alive; then
    # A run that was killed before its down (a CI timeout, a reboot) left engines' data, containers and images:
    # start from nothing, as a fresh machine would.
    log "removing what an earlier run left in $STATE (none of it runs)"
    down
  fi
  mkdir -p "$STATE/pids" "$STATE/logs"
  log "network: namespaces ${HOSTS[*]} on 10.77.0.0/24 (private) and 10.78.0.0/24 (public)"
  net_up
  local h
  for h in "${HOSTS[@]}"; do host_files "$h"; done
  for h in "${HOSTS[@]}"; do start_dockerd "$h"; load_images "$h"; done
  log "etcd: three members on the private network"
  for h in "${HOSTS[@]}"; do start_etcd "$h"; done
  wait_for 60 etcd_healthy || die "etcd cluster not healthy (see $STATE/logs/etcd-*.log)"
  for h in "${HOSTS[@]}"; do start_agent "$h"; done
  start_dns
  for h in "${FRONTENDS[@]}"; do start_nginx "$h"; start_gateway "$h"; done
  log "deploying influxdb and grafana with the Ansible module"
  deploy >"$STATE/logs/deploy.log" 2>&1 || { tail -40 "$STATE/logs/deploy.log" >&2; die "deploy failed"; }
  log "up: DNS at $DNS_LISTEN, grafana at http://10.78.0.11/ and http://10.78.0.12/ (Host: grafana.prod.example.com)"
}

host_down() { # a host's containers, engine and etcd member
  local h=$1 t=$SECONDS
  if [ -S "$(dsock "$h")" ] && alive "$(pidfile dockerd "$h")"; then
    docker -H "unix://$(dsock "$h")" ps -aq | xargs -r docker -H "unix://$(dsock "$h")" rm -f >/dev/null 2>&1 || true
  fi
  stop_component dockerd "$h"
  stop_component containerd "$h"
  stop_component etcd "$h"
  log "$h stopped in $((SECONDS - t)) s"
}

# keep_logs DIR: a copy of every component's log and both nginx error logs
keep_logs() {
  [ -d "$STATE/logs" ] || return 0
  mkdir -p "$1"
  cp -r "$STATE/logs/." "$1/"
  local h
  for h in "${FRONTENDS[@]}"; do cp "$(nginx_prefix "$h")/logs/error.log" "$1/nginx-error-$h.log" 2>/dev/null || true; done
  log "logs kept in $1"
}

# digest: what rundock's components warned about (JSON lines of level warn and above), with their times, per log
digest() {
  local f
  for f in "$STATE"/logs/{agent,dns,gateway}-*.log; do
    [ -f "$f" ] || continue
    local lines; lines=$(grep -E '"level":(40|50|60)' "$f" | cut -c1-400 || true)
    [ -n "$lines" ] && printf '== %s (warnings and errors)\n%s\n' "$(basename "$f")" "$lines"
  done
  return 0
}

down() {
  local h
  for h in "${FRONTENDS[@]}"; do stop_component gateway "$h"; stop_component nginx "$h"; done
  stop_component dns node-front-1
  for h in "${HOSTS[@]}"; do stop_component agent "$h"; done
  for h in "${HOSTS[@]}"; do host_down "$h" & done
  wait
  net_down
  if [ -d "$STATE" ]; then
    # Mounts a killed dockerd left behind (overlay layers, shm) would keep the directory busy.
    grep -F " $STATE/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    # RUNDOCK_CLUSTER_LOGS=DIR keeps every component's log (and nginx's error logs) for a look after the run.
    [ -n "${RUNDOCK_CLUSTER_LOGS:-}" ] && keep_logs "$RUNDOCK_CLUSTER_LOGS"
    rm -rf "$STATE"
  fi
  log "down: nothing of the cluster is left"
}

status() {
  local h comp rc=0
  for h in "${HOSTS[@]}"; do
    local line="$h:"
    for comp in containerd dockerd etcd agent dns nginx gateway; do
      local pf; pf=$(pidfile "$comp" "$h")
      [ -f "$pf" ] || continue
      if alive "$pf"; then line+=" $comp=up"; else line+=" $comp=DOWN"; rc=1; fi
    done
    echo "$line"
  done
  if ns_exists "$NET"; then echo "network: up"; else echo "network: absent"; rc=1; fi
  return $rc
}

cmd=${1:-}
shift || true
case "$cmd" in
  up) up ;;
  down) down ;;
  status) status ;;
  keep-logs) keep_logs "$1" ;;
  digest) digest ;;
  deploy) deploy "$@" ;;
  start) start_component "$1" "$2" ;;
  stop) stop_component "$1" "$2" "${3:-}" ;;
  kill) stop_component "$1" "$2" KILL ;;
  link) link_set "$1" "$2" ;;
  exec)
    h=$1; shift
    is_host "$h" || die "unknown host $h"
    exec nsenter --net="/var/run/netns/$h" env DOCKER_HOST="unix://$(dsock "$h")" RUNDOCK_CONFIG="$(hostdir "$h")/rundock.yml" "$@"
    ;;
  *) echo "usage: $0 up|down|status|deploy|start C H|stop C H [SIG]|kill C H|link H up|down|exec H CMD..." >&2; exit 2 ;;
esac
