#!/usr/bin/env bash
# Queries per second of `rundock dns` (1 and N workers) beside dnsmasq serving the same 1,000 names, in one run on
# this machine, loopback only. rundock reads the names from a throwaway etcd (temporary data directory, free loopback
# ports), dnsmasq from a hosts file. For each server: dnsperf at full speed (-c 4), then at 20,000 qps with every
# query's latency (-v) for the p50/p99, and the server's CPU time per answered query (all its processes).
# Needs: a build (npm run build), /usr/bin/etcd, dnsperf, dnsmasq, dig.
# Usage: bash bench/dns-workers-bench.sh [SECONDS] [WORKER COUNTS...]
#   default: 15 s, worker counts "1 2"; a count of "-" runs `rundock dns` without --workers (the build before it).
# RSS mode: RECORDS=100000 bash bench/dns-workers-bench.sh rss [WORKER COUNTS...] starts rundock on the empty zone,
# puts that many records (they arrive through the watch: a cold start over 100,000 records fails on etcd3's 4 MB gRPC
# message limit), and prints the resident memory of every rundock process once all are in (and after 5 s of queries).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=bench
if [ "${1:-}" = rss ]; then MODE=rss; shift; fi
SECONDS_RUN=15
if [ "$MODE" = bench ] && [ $# -gt 0 ]; then SECONDS_RUN=$1; shift; fi
WORKERS=("$@")
[ ${#WORKERS[@]} -gt 0 ] || WORKERS=(1 2)
RECORDS=${RECORDS:-1000}
DOMAIN=s.bench.test
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${KEEP:-}" ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

# --- etcd with the records -----------------------------------------------------------------------------------------
ETCD_CLIENT=$(free_port); ETCD_PEER=$(free_port)
/usr/bin/etcd --name b --data-dir "$TMP/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT" --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-cluster "b=http://127.0.0.1:$ETCD_PEER" \
  --quota-backend-bytes 1073741824 --log-level error --logger zap 2>"$TMP/etcd.log" &
PIDS+=($!)
ETCD=http://127.0.0.1:$ETCD_CLIENT
for _ in $(seq 1 100); do curl -sf "$ETCD/health" >/dev/null 2>&1 && break; sleep 0.1; done
# Puts svc0 .. svc(RECORDS-1), one A record each.
load_records() {
  node --input-type=module -e "
import { Etcd3 } from 'etcd3';
const [endpoint, count] = [process.argv[1], Number(process.argv[2])];
const client = new Etcd3({ hosts: endpoint });
for (let start = 0; start < count; start += 1000) {
  const batch = [];
  for (let i = start; i < Math.min(count, start + 1000); i++) {
    batch.push(client.put('/skydns/test/bench/s/svc' + i).value(JSON.stringify({ host: '10.' + ((i >> 16) & 255) + '.' + ((i >> 8) & 255) + '.' + (i & 255), port: 8080 })));
  }
  await Promise.all(batch);
}
client.close();
" "$ETCD" "$RECORDS"
}
[ "$MODE" = rss ] || load_records
for i in $(seq 0 $((RECORDS < 1000 ? RECORDS - 1 : 999))); do echo "svc$i.$DOMAIN A"; done >"$TMP/queries"
for i in $(seq 0 $((RECORDS - 1))); do echo "10.$(((i >> 16) & 255)).$(((i >> 8) & 255)).$((i & 255)) svc$i.$DOMAIN"; done >"$TMP/hosts"

# Other work on the machine skews every figure: wait (at most ~2 min) until the CPUs are >= 90% idle over 2 s.
wait_quiet() {
  local _ u n s i w q sq t1 i1 t2 i2
  for _ in $(seq 1 60); do
    read -r _ u n s i w q sq _ </proc/stat; t1=$((u + n + s + i + w + q + sq)); i1=$i
    sleep 2
    read -r _ u n s i w q sq _ </proc/stat; t2=$((u + n + s + i + w + q + sq)); i2=$i
    [ $(((i2 - i1) * 100 / (t2 - t1))) -ge 90 ] && return 0
  done
  echo "(the machine stayed busy: figures below are skewed)" >&2
}

wait_answers() { # port
  for _ in $(seq 1 300); do
    dig +short +time=1 +tries=1 @127.0.0.1 -p "$1" "svc1.$DOMAIN" A 2>/dev/null | grep -q "^10\." && return 0
    sleep 0.1
  done
  echo "server on port $1 never answered" >&2; return 1
}
# CPU ticks (user+system) of a process and its children (the cluster workers).
cpu_ticks() {
  local total=0 pid
  for pid in $1 $(pgrep -P "$1" || true); do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
rss_of() { # pid: RSS of it and of its children (the cluster workers)
  ps -o pid=,rss= --pid "$1" --ppid "$1" | awk -v main="$1" '{
    printf "  %s pid %s: %.0f MB\n", ($1 == main ? "main/primary" : "worker"), $1, $2 / 1024; total += $2
  } END { printf "  total: %.0f MB\n", total / 1024 }'
}

# Both set PID (no subshell: the server must stay this shell's child, to be waited for).
start_rundock() { # port workers
  METRICS_PORT=$(free_port)
  local args=(dns --etcd "$ETCD" --domain "$DOMAIN" --listen "127.0.0.1:$1" --metrics-listen "127.0.0.1:$METRICS_PORT")
  [ "$2" = - ] || args+=(--workers "$2")
  RUNDOCK_LOG_LEVEL=warn node bin/rundock.js "${args[@]}" >/dev/null 2>>"$TMP/rundock.log" &
  PID=$!; PIDS+=("$PID")
}
start_dnsmasq() { # port
  dnsmasq --no-daemon --conf-file=/dev/null --port="$1" --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
    --no-hosts --addn-hosts="$TMP/hosts" >/dev/null 2>&1 &
  PID=$!; PIDS+=("$PID")
}
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

if [ "$MODE" = rss ]; then
  for w in "${WORKERS[@]}"; do
    port=$(free_port); start_rundock "$port" "$w"
    for _ in $(seq 1 100); do curl -sf "127.0.0.1:$METRICS_PORT/status" >/dev/null && break; sleep 0.1; done
    load_records
    # Every worker must hold every record (per-worker gauge; one process: the plain gauge).
    for _ in $(seq 1 600); do
      curl -s "127.0.0.1:$METRICS_PORT/metrics" | awk -v want="$RECORDS" '/^rundock_dns_records/ {n++; if ($2 != want) bad=1} END {exit (n > 0 && !bad) ? 0 : 1}' && break
      sleep 0.5
    done
    wait_answers "$port"; sleep 2
    echo "rundock --workers $w, $(curl -s "127.0.0.1:$METRICS_PORT/metrics" | grep '^rundock_dns_records' | tr '\n' ' ')loaded:"; rss_of "$PID"
    dnsperf -s 127.0.0.1 -p "$port" -d "$TMP/queries" -l 5 -c 4 >/dev/null 2>&1
    echo "after 5 s of dnsperf:"; rss_of "$PID"
    stop "$PID"
    # The next server starts on the empty zone again.
    ETCDCTL_API=3 etcdctl --endpoints "$ETCD" del --prefix /skydns/ >/dev/null
  done
  exit 0
fi

measure() { # name pid port
  local name=$1 pid=$2 port=$3 before after out qps avg lost lat
  wait_answers "$port"
  wait_quiet
  dnsperf -s 127.0.0.1 -p "$port" -d "$TMP/queries" -l 2 -c 4 >/dev/null 2>&1 # warm-up (JIT)
  before=$(cpu_ticks "$pid")
  out=$(dnsperf -s 127.0.0.1 -p "$port" -d "$TMP/queries" -l "$SECONDS_RUN" -c 4 2>&1)
  after=$(cpu_ticks "$pid")
  qps=$(awk '/Queries per second/ {printf "%.0f", $4}' <<<"$out")
  avg=$(awk '/Average Latency/ {printf "%.3f", $4 * 1000}' <<<"$out")
  lost=$(awk '/Queries lost/ {print $3}' <<<"$out")
  local completed; completed=$(awk '/Queries completed/ {print $3}' <<<"$out")
  local us_per_query; us_per_query=$(awk -v t=$((after - before)) -v n="$completed" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz / n * 1e6}')
  # Every answer's latency to a file (a pipe would make dnsperf wait on the reader), sorted afterwards.
  dnsperf -s 127.0.0.1 -p "$port" -d "$TMP/queries" -l "$SECONDS_RUN" -c 4 -Q 20000 -v >"$TMP/latency" 2>/dev/null
  lat=$(awk '/^> / {print $NF}' "$TMP/latency" | sort -n | awk '{v[NR]=$1} END {printf "%.3f %.3f %d", v[int(NR*0.5)]*1000, v[int(NR*0.99)]*1000, NR}')
  read -r p50 p99 n20k <<<"$lat"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$qps" "$avg" "$lost" "$us_per_query" "$p50" "$p99" "$n20k"
}

echo "CPUs: $(nproc); $RECORDS records; dnsperf -c 4 -l $SECONDS_RUN; latency at -Q 20000"
echo
echo '| server | qps | avg ms | lost | server CPU µs/query | p50 ms @20k | p99 ms @20k | answers @20k |'
echo '|---|---|---|---|---|---|---|---|'
port=$(free_port); start_dnsmasq "$port"
measure dnsmasq "$PID" "$port"; stop "$PID"
for w in "${WORKERS[@]}"; do
  port=$(free_port); start_rundock "$port" "$w"
  measure "rundock --workers $w" "$PID" "$port"; stop "$PID"
done
port=$(free_port); start_dnsmasq "$port"
measure "dnsmasq (again)" "$PID" "$port"; stop "$PID"
