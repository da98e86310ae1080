#!/usr/bin/env bash
# The reference cluster of DESIGN.md on this one machine, for end-to-end and fault tests (test/cluster/), provisioned
# the way real hosts are: `ansible-playbook examples/site.yml` (the role rundock.rundock.host, then the rundock
# module) with the inventory test/cluster/hosts.yml.
#
#   scripts/cluster.sh up        build it (idempotent): the hosts (network namespaces), their Docker engines and
#                                images, the single executable; then examples/site.yml, which installs the
#                                executable, runs etcd, the agents, DNS, nginx and the gateways under each host's runit
#                                and deploys influxdb and grafana; then the playbook a second time, which must report
#                                changed=0 on every host (both recaps are printed)
#   scripts/cluster.sh down      stop everything, remove namespaces, links and the state directory
#   scripts/cluster.sh status    what runs, per host (exit status 1 when anything is down)
#   scripts/cluster.sh keep-logs DIR   a copy of every component's log (also on down with RUNDOCK_CLUSTER_LOGS=DIR)
#   scripts/cluster.sh digest    the warnings and errors rundock's components logged
#   scripts/cluster.sh deploy [ARG...]  ansible-playbook examples/site.yml again, with ARGs (e.g. --tags grafana
#                                -e grafana_version=2 redeploys grafana alone); prints Ansible's output
#   scripts/cluster.sh start|stop|kill COMPONENT HOST   one component: agent dns gateway nginx etcd (runit services,
#                                through sv) or dockerd (the host's engine). stop: SIGTERM (nginx: SIGQUIT), KILL
#                                after the service's bound; kill: SIGKILL (an agent's containers keep running). A
#                                stopped or killed service stays down (runit does not restart it) until start.
#   scripts/cluster.sh signal COMPONENT HOST SIG        send SIG to a runit service's process (STOP, CONT...)
#   scripts/cluster.sh link HOST up|down                cut a host off its networks or plug it back
#   scripts/cluster.sh delay on MS|off                  etcd's traffic (peer and client) between the two frontends
#                                delayed MS each way (test/cluster/delay-relay.ts: this kernel has no netem)
#   scripts/cluster.sh exec HOST CMD...                 CMD in HOST's network namespace, docker/rundock aimed at it
#   scripts/cluster.sh acme-validation hold|release     Pebble's HTTP-01 connections to the frontends dropped (an
#                                order stays mid-validation) or let through again
#
# Hosts are network namespaces with their own interfaces: node-front-1 and node-front-2 (public eth0 on 10.78.0.0/24,
# private eth1 on 10.77.0.0/24) and node-back-1 (private eth1 only). The two networks are bridges inside a namespace
# of their own (rdk-net), so the root namespace's firewall never sees their traffic; the root namespace gets 10.77.0.1
# and 10.78.0.1 on them to reach the hosts. No namespace has a default route: the hosts reach nothing but each other.
# This script runs each host's containerd and dockerd (containers use --network host inside the namespace); the role
# installs everything else under the host's own folder (rundock_root, $STATE/hosts/HOST/root) and runs it under a
# runsvdir of that host: an etcd member on its private address and a rundock agent everywhere, `rundock dns` on
# 10.77.0.11:8053 (node-front-1), nginx on the public address port 80 with `rundock gateway` on both frontends, which
# also announce themselves as www. Ansible reaches each host through a python3 that runs inside its namespace.
# The public zone example.com lives at a Knot DNS primary (namespace rdk-knot, 10.78.0.53 on the public network,
# started before the playbook): `rundock dns` keeps www.example.com there equal to the live frontends by RFC 2136
# updates signed with the TSIG key $STATE/public-zone/tsig.key, which Knot's ACL allows to update that name only.
# The ACME CA is Pebble (Debian's, Let's Encrypt's test CA; namespace rdk-pebble, 10.78.0.60 on the public network,
# directory https://10.78.0.60:14000/dir, its HTTPS certificate $STATE/pebble/pebble.crt, the root that issues at
# https://10.78.0.60:15000/roots/0): the gateways order their routes' certificates there (acme_directory in
# test/cluster/hosts.yml), and it validates HTTP-01 on port 80 of the addresses its DNS (pebble-challtestsrv,
# management http://10.78.0.60:8055) gives a name: none until a test adds them (test/cluster/acme.test.ts), so orders
# for other names (grafana.prod.example.com, the gateways' own route) fail and grafana stays plain HTTP.
# The hosts have no Node.js on PATH (theirs is $STATE/system-bin: the machine's programs without node, npm, npx and
# corepack), as a host with the single executable has none: rundock, the Ansible module's and the daemons', is
# the executable (test/cluster/deployment.test.ts checks it).
#
# Environment: RUNDOCK_CLUSTER_EXECUTABLE the rundock-<version>-linux-x64 to install (default: build/sea.mjs of this
# checkout's build), RUNDOCK_CLUSTER_LEASE_TTL (15), RUNDOCK_CLUSTER_LOG_LEVEL (debug), RUNDOCK_CLUSTER_LOGS (down
# keeps the logs there), RUNDOCK_CLUSTER_RECHECK=0 (up runs the playbook once: no idempotence check, for repeat runs
# on a loaded machine).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
STATE=${RUNDOCK_CLUSTER_STATE:-/tmp/rundock-cluster}
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
# Where each of rundock's daemons answers inside its host (the role's defaults).
declare -A HEALTH=([agent]=127.0.0.1:9476 [dns]=127.0.0.1:9477 [gateway]=127.0.0.1:9478)
INVENTORY=$REPO/test/cluster/hosts.yml
PLAYBOOK=$REPO/examples/site.yml
# What this script and the role need, installed machine-wide before the playbook (the role's apt task then finds every
# package present: three hosts on one machine never install at the same time).
PACKAGES=(iproute2 util-linux docker.io containerd etcd-server etcd-client nginx runit busybox-static ansible-core curl
  ca-certificates tar gzip knot knot-dnsutils bind9-dnsutils iptables openssl pebble)
# The public zone's primary: its namespace, address on the public network, and what it may update.
KNOT_NS=rdk-knot
KNOT_ADDR=10.78.0.53
PUBLIC_NAMES=(www.example.com)
# The ACME CA: its namespace and address on the public network.
PEBBLE_NS=rdk-pebble
PEBBLE_ADDR=10.78.0.60

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
rootdir() { echo "$STATE/hosts/$1/root"; } # rundock_root of the host (test/cluster/hosts.yml)
dsock() { echo "$STATE/hosts/$1/run/docker.sock"; }
csock() { echo "$STATE/hosts/$1/run/containerd.sock"; }
pidfile() { echo "$STATE/pids/$1-$2.pid"; }
svdir() { echo "$STATE/hosts/$2/root/etc/sv/rundock-$1"; } # svdir COMPONENT HOST: the role's runit service
is_host() { local h; for h in "${HOSTS[@]}"; do [ "$h" = "$1" ] && return 0; done; return 1; }
is_frontend() { [ -n "${PUB[$1]:-}" ]; }
ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
in_ns() { local h=$1; shift; nsenter --net="/var/run/netns/$h" "$@"; }
# The environment of the host's tools: its dockerd, its rundock (installed by the role), its config file, and a
# PATH without Node.js.
host_path() { echo "$(rootdir "$1")/usr/local/bin:$STATE/system-bin:/usr/local/sbin:/usr/sbin"; }
host_env() { echo "DOCKER_HOST=unix://$(dsock "$1")" "RUNDOCK_CONFIG=$(rootdir "$1")/etc/rundock/config.yml" \
  "PATH=$(host_path "$1")"; }

# $STATE/system-bin: a link to each program of /usr/local/bin and /usr/bin (the first one found, as PATH would),
# except Node.js's: the hosts' PATH.
system_bin() {
  local dir=$STATE/system-bin f name
  rm -rf "$dir" && mkdir -p "$dir"
  for f in /usr/local/bin/* /usr/bin/*; do
    name=${f##*/}
    case "$name" in node | nodejs | npm | npx | corepack) continue ;; esac
    [ -e "$dir/$name" ] || ln -s "$f" "$dir/$name"
  done
}

alive() { # alive PIDFILE: the recorded process runs
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}
# any_alive: a process of the cluster runs: an engine this script started, or a runsvdir the role started.
any_alive() {
  local f
  for f in "$STATE"/pids/*.pid "$STATE"/hosts/*/root/run/rundock-runsvdir.pid; do alive "$f" && return 0; done
  return 1
}

# spawn COMPONENT HOST CMD...: starts CMD detached inside HOST's namespace, output to its log, pid recorded.
# nsenter and env exec, so the recorded pid is CMD's own. For the engines only; the role runs everything else.
spawn() {
  local comp=$1 host=$2; shift 2
  local pf; pf=$(pidfile "$comp" "$host")
  if alive "$pf"; then return 0; fi
  mkdir -p "$STATE/pids" "$STATE/logs"
  setsid nsenter --net="/var/run/netns/$host" "$@" >>"$STATE/logs/$comp-$host.log" 2>&1 </dev/null &
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
  ns_exists "$KNOT_NS" || ip netns add "$KNOT_NS"
  ip -n "$KNOT_NS" link set lo up
  veth knot-pub br-pub "$KNOT_NS" eth0 "$KNOT_ADDR"
  ns_exists "$PEBBLE_NS" || ip netns add "$PEBBLE_NS"
  ip -n "$PEBBLE_NS" link set lo up
  veth pebble-pub br-pub "$PEBBLE_NS" eth0 "$PEBBLE_ADDR"
}

net_down() {
  local h
  for h in "${HOSTS[@]}" "$KNOT_NS" "$PEBBLE_NS" "$NET"; do
    ns_exists "$h" || continue
    # Anything still running in the namespace was started by this script or the role for it: end it by pid.
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

# delay on MS | off: each frontend's new etcd connections (ports 2379, 2380) to the other frontend go through a relay
# in its namespace that delays every byte MS each way (a user-space stand-in for `tc qdisc ... netem delay`, which
# this machine's kernel lacks); connections open when it starts are reset, so etcd reconnects through the relay.
# The relay runs as nobody, whose connections the rules let pass.
RELAY_UID=65534
delay_rules() { # delay_rules -A|-D HOST PEER_ADDR
  local op=$1 h=$2 peer=$3 port
  for port in 2379 2380; do
    in_ns "$h" iptables -t nat "$op" OUTPUT -d "$peer" -p tcp --dport "$port" -m owner ! --uid-owner "$RELAY_UID" \
      -j REDIRECT --to-ports "${port}0"
  done
  in_ns "$h" iptables "$op" OUTPUT -d "$peer" -p tcp -m multiport --dports 2379,2380 \
    -m owner ! --uid-owner "$RELAY_UID" -j REJECT --reject-with tcp-reset
}
delay_set() {
  local state=$1 ms=${2:-} h peer
  for h in "${FRONTENDS[@]}"; do
    peer=${PRIV[node-front-1]}; [ "$h" = node-front-1 ] && peer=${PRIV[node-front-2]}
    if [ "$state" = on ]; then
      [[ "$ms" =~ ^[0-9]+$ ]] || die "delay on MS: MS must be a number of milliseconds, not '$ms'"
      ( cd "$REPO" && spawn relay "$h" setpriv --reuid="$RELAY_UID" --regid="$RELAY_UID" --clear-groups \
        node --import tsx test/cluster/delay-relay.ts "$ms" "${PRIV[$h]}" "23790=$peer:2379" "23800=$peer:2380" )
      wait_for 20 in_ns "$h" bash -c '</dev/tcp/127.0.0.1/23800' || die "the delay relay on $h did not start"
      delay_rules -A "$h" "$peer"
    else
      while delay_rules -D "$h" "$peer" 2>/dev/null; do :; done
      stop_pid "$(pidfile relay "$h")" TERM 5
    fi
  done
}

# ---------------------------------------------------------------- per-host files
host_files() {
  local h=$1 d; d=$(hostdir "$h")
  mkdir -p "$d/run" "$d/containerd" "$d/containerd-state" "$d/docker" "$d/docker-exec"
  # nginx's workers run unprivileged and must reach their temp folders under the host's root.
  chmod 755 "$STATE" "$STATE/hosts" "$d"
  printf 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n' >"$d/containerd.toml"
  echo '{}' >"$d/daemon.json"
  # The Ansible interpreter for this host (test/cluster/hosts.yml): python3 in its namespace, with docker and rundock
  # aimed at it, so the role's and the module's commands act on this host.
  cat >"$d/python3" <<SH
#!/bin/sh
exec nsenter --net=/var/run/netns/$h env $(host_env "$h") python3 "\$@"
SH
  chmod 755 "$d/python3"
}

# ---------------------------------------------------------------- engines and images
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
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/www" "$root/var/lib/influxdb"
  cp "$(command -v busybox)" "$root/bin/busybox"
  local applet
  for applet in $("$root/bin/busybox" --list); do [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  # What data.influxdb's volume starts with (Docker copies it into the new volume): the stand-in serves it.
  echo 'influxdb stand-in: no data yet' >"$root/var/lib/influxdb/index.html"
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

# ---------------------------------------------------------------- the public zone's primary
# A TSIG key (HMAC-SHA256) as tsig-keygen writes it, made once per cluster; the role copies it to the DNS hosts.
tsig_key() {
  local d=$STATE/public-zone f=$STATE/public-zone/tsig.key
  mkdir -p "$d" && chmod 700 "$d"
  [ -f "$f" ] || (umask 077 && printf 'key "rundock-public" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
    "$(openssl rand -base64 32)" >"$f")
}

# knot_up: knotd in rdk-knot as the primary of example.com (a zone file with a few names of its own), updatable by
# the TSIG key for the public names only; the journal keeps the updates, the zone file is never rewritten.
knot_up() {
  local d=$STATE/knot secret
  mkdir -p "$d/db"
  tsig_key
  secret=$(sed -n 's/.*secret "\(.*\)";/\1/p' "$STATE/public-zone/tsig.key")
  printf '%s\n' '$ORIGIN example.com.' '$TTL 300' '@ SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 5' \
    '@ NS ns1.example.com.' 'ns1 A 10.78.0.53' 'mail A 192.0.2.25' >"$d/example.com.zone"
  (umask 077 && cat >"$d/knot.conf" <<CONF
server:
    listen: $KNOT_ADDR@53
    rundir: $d
database:
    storage: $d/db
key:
  - id: rundock-public
    algorithm: hmac-sha256
    secret: $secret
acl:
  - id: public-names
    key: rundock-public
    action: update
    update-owner: name
    update-owner-match: equal
    update-owner-name: [$(printf '%s., ' "${PUBLIC_NAMES[@]}" | sed 's/, $//')]
zone:
  - domain: example.com
    storage: $d
    file: example.com.zone
    acl: public-names
    zonefile-sync: -1
    journal-content: changes
log:
  - target: stderr
    any: info
CONF
  )
  spawn knot "$KNOT_NS" knotd -c "$d/knot.conf"
  wait_for 15 kdig +short +timeout=1 +retry=0 "@$KNOT_ADDR" ns1.example.com A ||
    die "knotd did not answer on $KNOT_ADDR (see $STATE/logs/knot-$KNOT_NS.log)"
}

# ---------------------------------------------------------------- the ACME CA
# pebble_up: pebble-challtestsrv (Pebble's DNS: no address for any name until a test adds one) and Pebble in
# rdk-pebble, validating HTTP-01 on port 80, without its random validation delay; its HTTPS certificate (for
# --acme-ca-file) made here, the root it issues with made by Pebble at each start.
pebble_up() {
  local d=$STATE/pebble
  mkdir -p "$d"
  [ -f "$d/pebble.crt" ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$d/pebble.key" -out "$d/pebble.crt" -days 2 -subj /CN=pebble -addext "subjectAltName=IP:$PEBBLE_ADDR" \
    2>/dev/null
  printf '{"pebble": {"listenAddress": "%s:14000", "managementListenAddress": "%s:15000", "certificate": "%s",
    "privateKey": "%s", "httpPort": 80, "tlsPort": 5001, "ocspResponderURL": "", "externalAccountBindingRequired": false}}\n' \
    "$PEBBLE_ADDR" "$PEBBLE_ADDR" "$d/pebble.crt" "$d/pebble.key" >"$d/pebble.json"
  spawn challtestsrv "$PEBBLE_NS" pebble-challtestsrv -defaultIPv4 '' -defaultIPv6 '' -dns01 "$PEBBLE_ADDR:8053" \
    -http01 '' -https01 '' -tlsalpn01 '' -management "$PEBBLE_ADDR:8055"
  spawn pebble "$PEBBLE_NS" env PEBBLE_VA_NOSLEEP=1 PEBBLE_AUTHZREUSE=0 PEBBLE_WFE_NONCEREJECT=0 \
    pebble -config "$d/pebble.json" -dnsserver "$PEBBLE_ADDR:8053"
  # Pebble makes its CA's keys at start: seconds on a busy machine.
  wait_for 30 curl -sf --cacert "$d/pebble.crt" "https://$PEBBLE_ADDR:14000/dir" ||
    die "Pebble did not answer on $PEBBLE_ADDR:14000 (see $STATE/logs/pebble-$PEBBLE_NS.log)"
}

# acme-validation hold|release: Pebble's connections to port 80 (HTTP-01 validation) dropped, so a challenge stays
# pending (Pebble retries its SYNs), or let through again.
acme_validation() {
  case "$1" in
    hold) in_ns "$PEBBLE_NS" iptables -C OUTPUT -p tcp --dport 80 -j DROP 2>/dev/null ||
      in_ns "$PEBBLE_NS" iptables -A OUTPUT -p tcp --dport 80 -j DROP ;;
    release) while in_ns "$PEBBLE_NS" iptables -D OUTPUT -p tcp --dport 80 -j DROP 2>/dev/null; do :; done ;;
    *) die "acme-validation hold|release, not '$1'" ;;
  esac
}

# ---------------------------------------------------------------- the release and the playbook
# $STATE/rundock (test/cluster/hosts.yml's rundock_executable): RUNDOCK_CLUSTER_EXECUTABLE, or the single executable
# of this checkout's build (build/sea.mjs, with the release Node of scripts/node-versions). An up that finds it there
# keeps it, so running up again installs nothing new.
release_executable() {
  local e=$STATE/rundock
  if [ -n "${RUNDOCK_CLUSTER_EXECUTABLE:-}" ]; then
    [ -f "$RUNDOCK_CLUSTER_EXECUTABLE" ] || die "RUNDOCK_CLUSTER_EXECUTABLE $RUNDOCK_CLUSTER_EXECUTABLE is not a file"
    cmp -s "$RUNDOCK_CLUSTER_EXECUTABLE" "$e" || cp "$RUNDOCK_CLUSTER_EXECUTABLE" "$e"
  elif [ ! -f "$e" ]; then
    [ -f "$REPO/dist/rundock.cjs" ] || (cd "$REPO" && npm run build >/dev/null)
    node "$REPO/build/sea.mjs" "$e.new" >/dev/null 2>&1 || die "the executable was not built (node build/sea.mjs)"
    mv "$e.new" "$e"
  fi
  log "release: rundock $("$e" --version) ($e)"
}

# playbook ARG...: examples/site.yml on the cluster's inventory, with this script's settings as extra variables.
playbook() {
  local a=$STATE/ansible
  mkdir -p "$a"
  printf '{"rundock_cluster_state": "%s", "rundock_cluster_lease_ttl": %d, "rundock_cluster_log_level": "%s"}\n' \
    "$STATE" "$LEASE_TTL" "$LOG_LEVEL" >"$a/cluster.json"
  ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOST_KEY_CHECKING=0 ANSIBLE_PIPELINING=1 \
    ANSIBLE_LOCAL_TEMP="$a/tmp-local" ANSIBLE_REMOTE_TEMP="$a/tmp-remote" \
    ansible-playbook -i "$INVENTORY" "$PLAYBOOK" -e "@$a/cluster.json" "$@"
}

# recap LOG: the PLAY RECAP lines of an ansible-playbook output, one per host ("HOST ok=N changed=N ...").
recap() {
  sed -n '/^PLAY RECAP/,$p' "$1" | awk '$2 == ":" { $2 = ""; print }' | tr -s ' '
}

# unchanged LOG: every host of the cluster in the recap with changed=0, unreachable=0, failed=0.
unchanged() {
  local h line
  for h in "${HOSTS[@]}"; do
    line=$(recap "$1" | awk -v h="$h" '$1 == h')
    [[ " $line " == *" changed=0 "* && " $line " == *" unreachable=0 "* && " $line " == *" failed=0 "* ]] ||
      return 1
  done
}

# deploy_logged NAME ARG...: the playbook with its output in $STATE/logs/NAME.log; prints the recap and the time.
deploy_logged() {
  local name=$1 t=$SECONDS; shift
  local out=$STATE/logs/$name.log
  if ! playbook "$@" >"$out" 2>&1; then
    tail -60 "$out" >&2
    die "$name failed (whole output: $out)"
  fi
  log "$name: $((SECONDS - t)) s; recap:"
  recap "$out" | sed 's/^/[cluster]   /' >&2
}

up() {
  [ "$(id -u)" = 0 ] || die "must run as root (namespaces, dockerd)"
  install_packages
  if [ -d "$STATE" ] && ! any_alive; then
    # A run that was killed before its down (a CI timeout, a reboot) left engines' data, containers and images:
    # start from nothing, as a fresh machine would.
    log "removing what an earlier run left in $STATE (none of it runs)"
    down
  fi
  mkdir -p "$STATE/pids" "$STATE/logs"
  release_executable
  system_bin
  log "network: namespaces ${HOSTS[*]} on 10.77.0.0/24 (private) and 10.78.0.0/24 (public)"
  net_up
  local h
  for h in "${HOSTS[@]}"; do host_files "$h"; done
  for h in "${HOSTS[@]}"; do start_dockerd "$h"; load_images "$h"; done
  log "the public zone example.com at Knot on $KNOT_ADDR"
  knot_up
  log "the ACME CA: Pebble on $PEBBLE_ADDR"
  pebble_up
  log "ansible-playbook examples/site.yml (role rundock.rundock.host on every host, then influxdb and grafana)"
  deploy_logged playbook-1
  if [ "${RUNDOCK_CLUSTER_RECHECK:-1}" = 1 ]; then
    log "the playbook again: every host must report changed=0"
    deploy_logged playbook-2
    unchanged "$STATE/logs/playbook-2.log" || die "the second run of the playbook changed something (see $STATE/logs/playbook-2.log)"
  fi
  log "up: DNS at 10.77.0.11:8053, the public zone at $KNOT_ADDR, grafana at http://10.78.0.11/ and http://10.78.0.12/ (Host: grafana.prod.example.com)"
}

# ---------------------------------------------------------------- components
# sv's name for a signal (sv sends it to the service's process).
sv_signal() {
  case "$1" in
    KILL) echo kill ;; TERM) echo term ;; QUIT) echo quit ;; HUP) echo hup ;; INT) echo interrupt ;;
    USR1) echo 1 ;; USR2) echo 2 ;; ALRM) echo alarm ;; CONT) echo cont ;; STOP) echo pause ;;
    *) die "no sv command sends SIG$1" ;;
  esac
}
sv_down() { sv status "$1" 2>/dev/null | grep -q '^down:'; }

start_service() {
  local comp=$1 h=$2 dir; dir=$(svdir "$1" "$2")
  [ -d "$dir" ] || die "$h runs no $comp ($dir)"
  sv -v -w 60 up "$dir" >/dev/null || die "$comp on $h did not start: $(sv status "$dir")"
  [ -n "${HEALTH[$comp]:-}" ] || return 0
  wait_for 30 in_ns "$h" curl -sf "http://${HEALTH[$comp]}/healthz" ||
    die "$comp on $h does not answer (see $(rootdir "$h")/var/log/rundock-$comp/current)"
}

# stop_service COMPONENT HOST [SIGNAL]: the service down and kept down (runsv restarts a service that exits while it
# is wanted up, within a second). Without SIGNAL `sv down`: SIGTERM, and SIGKILL from the service's control/t after
# its bound (10-15 s). With one (nginx: QUIT, its graceful stop): `sv once` first, which stops runsv from restarting
# it without sending anything, then SIGNAL to the service's own process, SIGKILL after 10 s.
stop_service() {
  local comp=$1 h=$2 sig=${3:-} dir; dir=$(svdir "$1" "$2")
  [ -d "$dir" ] || die "$h runs no $comp ($dir)"
  [ "$comp" = nginx ] && sig=${sig:-QUIT}
  if [ -z "$sig" ]; then
    sv -v -w 30 down "$dir" >/dev/null || die "$comp on $h did not stop: $(sv status "$dir")"
    return 0
  fi
  if ! sv_down "$dir"; then
    sv once "$dir" >/dev/null
    sv "$(sv_signal "$sig")" "$dir" >/dev/null
    wait_for 10 sv_down "$dir" || { sv kill "$dir" >/dev/null; wait_for 5 sv_down "$dir"; } ||
      die "$comp on $h did not stop: $(sv status "$dir")"
  fi
  sv down "$dir" >/dev/null # wanted down: `sv status` says so, start brings it up
}

start_component() {
  local comp=$1 h=$2
  is_host "$h" || die "unknown host $h"
  case "$comp" in
    dockerd) start_dockerd "$h" ;;
    agent | dns | gateway | nginx | etcd) start_service "$comp" "$h" ;;
    *) die "unknown component $comp" ;;
  esac
}

stop_component() {
  local comp=$1 h=$2 sig=${3:-}
  is_host "$h" || die "unknown host $h"
  case "$comp" in
    dockerd) stop_pid "$(pidfile dockerd "$h")" "${sig:-TERM}" 30 ;;
    containerd) stop_pid "$(pidfile containerd "$h")" "${sig:-TERM}" 10 ;;
    agent | dns | gateway | nginx | etcd) stop_service "$comp" "$h" "$sig" ;;
    *) die "unknown component $comp" ;;
  esac
}

# ---------------------------------------------------------------- down, status, logs
runsv_gone() { # runsv_gone HOST: no runit service of HOST is supervised any more
  local d
  for d in "$(rootdir "$1")"/etc/sv/*/; do sv status "$d" >/dev/null 2>&1 && return 1; done
  return 0
}

host_down() { # a host's services (runsvdir), containers and engine
  local h=$1 t=$SECONDS r; r=$(rootdir "$1")
  if [ -f "$r/run/rundock-runsvdir.pid" ]; then
    # rundock's daemons first, while etcd still answers (a gateway withdraws its report); then runsvdir's SIGHUP:
    # it sends TERM to every runsv, which stops its service (bounded by control/t) and exits.
    local s
    for s in gateway dns agent nginx; do
      [ -d "$(svdir "$s" "$h")" ] && { sv -w 20 -v down "$(svdir "$s" "$h")" >/dev/null 2>&1 || true; } &
    done
    wait
    kill -HUP "$(cat "$r/run/rundock-runsvdir.pid")" 2>/dev/null || true
    wait_for 30 runsv_gone "$h" || log "$h: runit services still supervised after 30 s (killed with the namespace)"
  fi
  if [ -S "$(dsock "$h")" ] && alive "$(pidfile dockerd "$h")"; then
    docker -H "unix://$(dsock "$h")" ps -aq | xargs -r docker -H "unix://$(dsock "$h")" rm -f >/dev/null 2>&1 || true
  fi
  stop_component dockerd "$h"
  stop_component containerd "$h"
  log "$h stopped in $((SECONDS - t)) s"
}

# all_logs HOST COMPONENT: a runit service's log, rotated parts first (svlogd's @<time>.s files), then current
all_logs() {
  local d; d=$(rootdir "$1")/var/log/rundock-$2
  [ -d "$d" ] || return 0
  cat "$d"/@*.[su] "$d"/current 2>/dev/null || true
}

# keep_logs DIR: a copy of every component's log (COMPONENT-HOST.log), the playbook runs, both nginx error logs
keep_logs() {
  [ -d "$STATE" ] || return 0
  mkdir -p "$1"
  [ -d "$STATE/logs" ] && cp -r "$STATE/logs/." "$1/"
  local h d comp
  for h in "${HOSTS[@]}"; do
    for d in "$(rootdir "$h")"/var/log/rundock-*/; do
      [ -d "$d" ] || continue
      comp=$(basename "$d"); comp=${comp#rundock-}
      all_logs "$h" "$comp" >"$1/$comp-$h.log"
    done
    cp "$(rootdir "$h")/var/log/nginx/error.log" "$1/nginx-error-$h.log" 2>/dev/null || true
  done
  log "logs kept in $1"
}

# digest: what rundock's components warned about (JSON lines of level warn and above), with their times, per log
digest() {
  local h comp lines
  for h in "${HOSTS[@]}"; do
    for comp in agent dns gateway; do
      lines=$(all_logs "$h" "$comp" | grep -E '"level":(40|50|60)' | cut -c1-400 || true)
      [ -n "$lines" ] && printf '== %s-%s.log (warnings and errors)\n%s\n' "$comp" "$h" "$lines"
    done
  done
  return 0
}

down() {
  local h
  for h in "${HOSTS[@]}"; do host_down "$h" & done
  wait
  stop_pid "$(pidfile knot "$KNOT_NS")" TERM 10
  stop_pid "$(pidfile pebble "$PEBBLE_NS")" TERM 10
  stop_pid "$(pidfile challtestsrv "$PEBBLE_NS")" TERM 10
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
  local h comp d rc=0
  for h in "${HOSTS[@]}"; do
    local line="$h:"
    for comp in containerd dockerd; do
      if alive "$(pidfile "$comp" "$h")"; then line+=" $comp=up"; else line+=" $comp=DOWN"; rc=1; fi
    done
    [ -d "$(svdir agent "$h")" ] || { line+=" agent=ABSENT"; rc=1; }
    for d in "$(rootdir "$h")"/etc/sv/rundock-*; do
      [ -d "$d" ] || continue
      comp=${d##*/rundock-}
      if sv status "$d" 2>/dev/null | grep -q '^run:'; then line+=" $comp=up"; else line+=" $comp=DOWN"; rc=1; fi
    done
    echo "$line"
  done
  if alive "$(pidfile knot "$KNOT_NS")"; then echo "knot: up"; else echo "knot: DOWN"; rc=1; fi
  if alive "$(pidfile pebble "$PEBBLE_NS")"; then echo "pebble: up"; else echo "pebble: DOWN"; rc=1; fi
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
  deploy) playbook "$@" ;;
  start) start_component "$1" "$2" ;;
  stop) stop_component "$1" "$2" "${3:-}" ;;
  kill) stop_component "$1" "$2" KILL ;;
  signal)
    is_host "$2" || die "unknown host $2"
    sv "$(sv_signal "$3")" "$(svdir "$1" "$2")" >/dev/null
    ;;
  link) link_set "$1" "$2" ;;
  delay) delay_set "$1" "${2:-}" ;;
  acme-validation) acme_validation "${1:-}" ;;
  exec)
    h=$1; shift
    is_host "$h" || die "unknown host $h"
    # shellcheck disable=SC2046 # host_env's words are NAME=VALUE pairs without spaces
    exec nsenter --net="/var/run/netns/$h" env $(host_env "$h") "$@"
    ;;
  *) echo "usage: $0 up|down|status|deploy [ARG...]|keep-logs DIR|digest|start C H|stop C H [SIG]|kill C H|signal C H SIG|link H up|down|delay on MS|off|acme-validation hold|release|exec H CMD..." >&2; exit 2 ;;
esac
