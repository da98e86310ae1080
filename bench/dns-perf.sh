#!/usr/bin/env bash
# DNS benchmark: `rundock dns` (fed by a throwaway real etcd) beside dnsmasq (from a hosts file) and Knot DNS (from a
# zone file), serving the same 1,000 names svcNNNN.s.bench.example.com (one A record each), all on loopback, in one run
# on this machine:
#   1. full speed: dnsperf -l SECONDS -c 4 -v against each: qps, average and p99 latency, server CPU per query
#   2. fixed rate: dnsperf -Q 20000 -l SECONDS -c 4 -v against each: p50/p99/p99.9 latency, and server CPU per query
#      (user + system time of the server's processes over the run / queries answered) with its ratio to Knot's in
#      the same round (rounds interleave the servers, so the machine's load weighs on each alike)
#   3. 100,000 records (second domain s.big.example.com, put into etcd in transactions of 128): first a cold start
#      with the records already in etcd (does the initial load complete, and when); then a server started on the
#      empty zone while the records are put (they arrive through its watch): its resident memory (VmRSS summed over
#      its processes) after the load and after a dnsperf run over the 100,000 names, the qps of that run, and the
#      time from an etcd put to the first answer carrying it (median of 20; the answer must repeat 4 times in a row,
#      so every worker process has it)
# p99 is computed from dnsperf -v, which prints every query's latency (bench/dns-perf.ts latency; a lost query counts
# as slower than any answer). rundock is run three ways: the default (one process, batched UDP through
# dist/udp_batch-linux-x64-glibc.node), --workers 2 (Node's dgram sockets in two processes), and one process on Node's dgram socket.
#
# Needs: npm run build; /usr/bin/etcd; dnsperf, dnsmasq, knotd (Debian: dnsperf, dnsmasq-base, knot), dig.
# Usage: bash bench/dns-perf.sh [SECONDS]           (default 20; everything on 127.0.0.1, nothing left running)
#   ROUNDS=2   interleaved rounds of the 1,000-name runs; the best round of each server is reported
#   RECORDS_BIG=100000  size of the large zone (0 skips that part)     COLD_WAIT=30  seconds a cold start may take
#   PROFILE=1  also profile rundock --workers 1 at full speed (node --cpu-prof) and print the top self times
#   KEEP=1     keep the temporary directory (dnsperf outputs, server logs)
#   RUNDOCK_EXTRA="--workers 4"  another rundock configuration to add to the rows
#   RUNDOCK_CONFIGS="default"    the rundock configurations to run, separated by | (default: "default|--workers 2|dgram")
#   BASELINE=DIR  also run `rundock dns` (default configuration) from another built checkout, e.g. an archive of main
#                 with its dist/: before and after a change in the same run
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${1:-20}
ROUNDS=${ROUNDS:-2}
RECORDS=1000
RECORDS_BIG=${RECORDS_BIG:-100000}
DOMAIN=s.bench.example.com
BIG_DOMAIN=s.big.example.com
RATE=20000
CHANGE_RUNS=20

for tool in /usr/bin/etcd dnsperf dnsmasq knotd dig node; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y etcd-server dnsperf dnsmasq-base knot dnsutils)" >&2; exit 1; }
done
[ -z "${BASELINE:-}" ] || [ -f "$BASELINE/bin/rundock.js" ] || { echo "BASELINE=$BASELINE has no bin/rundock.js" >&2; exit 1; }
[ -f dist/rundock.cjs ] || { echo "build first: npm run build" >&2; exit 1; }
DNSMASQ=$(command -v dnsmasq)

TMP=$(mktemp -d /tmp/rundock-dns-bench.XXXXXX)
chmod 755 "$TMP"
PIDS=()
cleanup() {
  local pid
  # A negative entry is a process group (rundock and its workers).
  for pid in "${PIDS[@]}"; do kill -- "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 -- "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 -- "$pid" 2>/dev/null || true
  done
  if [ -n "${KEEP:-}" ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[dns-bench] %s\n' "$*" >&2; }
helper() { node --import tsx "$ROOT/bench/dns-perf.ts" "$@"; }
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
json() { node -e "const o=JSON.parse(process.argv[1]); const v=process.argv[2].split('.').reduce((a,k)=>a?.[k],o); console.log(v===undefined?'':typeof v==='object'?JSON.stringify(v):v)" "$1" "$2"; }
calc() { node -e "console.log(eval(process.argv[1]))" "$1"; }
stat_of() { # stat_of FILE LABEL FIELD: a number from dnsperf's Statistics block
  awk -v label="$2" -v field="$3" 'index($0, label) { print $field; exit }' "$1"
}
wait_answer_for() { # COLD_TRIES=N wait_answer_for PORT NAME: until dig gets an A answer (at most N tries, 0.1 s apart)
  for _ in $(seq 1 "${COLD_TRIES:-600}"); do
    dig @127.0.0.1 -p "$1" +short +time=1 +tries=1 "$2" A 2>/dev/null | grep -qE '^[0-9.]+$' && return 0
    sleep 0.1
  done
  return 1
}
wait_answer() { COLD_TRIES=600 wait_answer_for "$@"; } # at most about 60 s
wait_answering() { # wait_answering PORT: until the server answers anything (its SOA; at most 30 s)
  for _ in $(seq 1 300); do
    dig @127.0.0.1 -p "$1" +time=1 +tries=1 "$BIG_DOMAIN" SOA 2>/dev/null | grep -q 'status: ' && return 0
    sleep 0.1
  done
  return 1
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# --- etcd ------------------------------------------------------------------------------------------------------------
ETCD_PORT=$(free_port); ETCD_PEER=$(free_port)
ETCD=http://127.0.0.1:$ETCD_PORT
/usr/bin/etcd --name bench --data-dir "$TMP/etcd" --listen-client-urls "$ETCD" --advertise-client-urls "$ETCD" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "bench=http://127.0.0.1:$ETCD_PEER" --log-level error --logger zap 2>"$TMP/etcd.log" &
PIDS+=($!)
for _ in $(seq 1 200); do curl -sf "$ETCD/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$ETCD/health" >/dev/null || { log "etcd did not start"; cat "$TMP/etcd.log" >&2; exit 1; }
ETCD_VERSION=$(/usr/bin/etcd --version | awk '/etcd Version/ {print $3}')

# --- the same 1,000 names for both -------------------------------------------------------------------------------------
helper files "$RECORDS" "$DOMAIN" "$TMP/small"
log "loading $RECORDS records into etcd: $(helper load "$ETCD" "$RECORDS" "$DOMAIN")"

DNSMASQ_PORT=$(free_port)
"$DNSMASQ" --no-daemon --conf-file=/dev/null --port="$DNSMASQ_PORT" --listen-address=127.0.0.1 --bind-interfaces \
  --no-resolv --no-hosts --addn-hosts="$TMP/small/hosts" --pid-file= 2>"$TMP/dnsmasq.log" &
PIDS+=($!)
DNSMASQ_PID=$!
DNSMASQ_VERSION=$("$DNSMASQ" --version | awk 'NR==1 {print $3}')

# Knot DNS with its defaults (a UDP worker thread per CPU), the same names from a zone file.
KNOT_PORT=$(free_port)
mkdir -p "$TMP/knot"
cat >"$TMP/knot.conf" <<EOF
server:
    rundir: "$TMP/knot"
    listen: 127.0.0.1@$KNOT_PORT
control:
    listen: "$TMP/knot/knot.sock"
log:
  - target: stderr
    any: warning
database:
    storage: "$TMP/knot"
zone:
  - domain: $DOMAIN
    storage: "$TMP/small"
    file: "zone"
EOF
knotd -c "$TMP/knot.conf" 2>"$TMP/knot.log" &
PIDS+=($!)
KNOT_PID=$!
KNOT_VERSION=$(knotd --version | awk '{print $NF}')

# start_rundock NAME DOMAIN [ARGS...]: sets RD_PORT, RD_PID (RD_ROOT: the checkout to run, this one by default)
start_rundock() {
  local name=$1 domain=$2; shift 2
  RD_PORT=$(free_port)
  local metrics; metrics=$(free_port)
  # Its own process group (setsid), so the clean-up reaches its worker processes too.
  setsid node "${RD_ROOT:-$ROOT}/bin/rundock.js" dns --etcd "$ETCD" --domain "$domain" --listen "127.0.0.1:$RD_PORT" \
    --metrics-listen "127.0.0.1:$metrics" "$@" >"$TMP/rundock-$name.log" 2>&1 &
  RD_PID=$!
  PIDS+=(-"$RD_PID")
}
stop_rundock() { # stop_rundock PID
  kill -TERM -- -"$1" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- -"$1" 2>/dev/null || true
}

# default: one process, batched UDP (dist/udp_batch-linux-x64-glibc.node); --workers 2: two processes on Node's dgram sockets;
# dgram: one process on Node's dgram socket (RUNDOCK_DNS_UDP=node), what the addon saves.
IFS='|' read -r -a CONFIGS <<<"${RUNDOCK_CONFIGS:-default|--workers 2|dgram}"
[ -n "${RUNDOCK_EXTRA:-}" ] && CONFIGS+=("$RUNDOCK_EXTRA")
[ -n "${BASELINE:-}" ] && CONFIGS+=("baseline")
start_config() { # start_config NAME DOMAIN CONFIG
  # shellcheck disable=SC2086
  case "$3" in
    default) start_rundock "$1" "$2" ;;
    baseline) RD_ROOT=$BASELINE start_rundock "$1" "$2" ;;
    dgram) RUNDOCK_DNS_UDP=node start_rundock "$1" "$2" ;;
    *) start_rundock "$1" "$2" $3 ;;
  esac
}
declare -A RD_PORTS RD_PIDS
for i in "${!CONFIGS[@]}"; do
  config=${CONFIGS[$i]}
  start_config "c$i" "$DOMAIN" "$config"
  RD_PORTS[$i]=$RD_PORT; RD_PIDS[$i]=$RD_PID
done
wait_answer "$DNSMASQ_PORT" svc0000.$DOMAIN || { log "dnsmasq does not answer"; cat "$TMP/dnsmasq.log" >&2; exit 1; }
wait_answer "$KNOT_PORT" svc0999.$DOMAIN || { log "knotd does not answer"; cat "$TMP/knot.log" >&2; exit 1; }
for i in "${!CONFIGS[@]}"; do
  wait_answer "${RD_PORTS[$i]}" svc0999.$DOMAIN || { log "rundock dns (${CONFIGS[$i]}) does not answer"; cat "$TMP/rundock-c$i.log" >&2; exit 1; }
done
# The last name must answer the same from both.
A_DNSMASQ=$(dig @127.0.0.1 -p "$DNSMASQ_PORT" +short svc0999.$DOMAIN); A_RUNDOCK=$(dig @127.0.0.1 -p "${RD_PORTS[0]}" +short svc0999.$DOMAIN)
A_KNOT=$(dig @127.0.0.1 -p "$KNOT_PORT" +short svc0999.$DOMAIN)
[ "$A_DNSMASQ" = "$A_RUNDOCK" ] && [ "$A_KNOT" = "$A_RUNDOCK" ] || { log "the servers answer differently: dnsmasq $A_DNSMASQ, knot $A_KNOT, rundock $A_RUNDOCK"; exit 1; }

# run_perf NAME PORT PID [DNSPERF ARGS...]: runs dnsperf -v, prints "qps avg_ms p99_ms lost cpu_us_per_query" and keeps the files
run_perf() {
  local name=$1 port=$2 pid=$3; shift 3
  local out="$TMP/perf-$name.out"
  local cpu0 cpu1
  cpu0=$(json "$(helper cpu "$pid")" cpu_ms)
  dnsperf -s 127.0.0.1 -p "$port" -d "$TMP/small/queries.txt" -c 4 -v "$@" >"$out" 2>&1
  cpu1=$(json "$(helper cpu "$pid")" cpu_ms)
  local lat; lat=$(helper latency "$out")
  local qps avg completed
  qps=$(stat_of "$out" 'Queries per second:' 4)
  avg=$(calc "($(stat_of "$out" 'Average Latency (s):' 4) * 1000).toFixed(3)")
  completed=$(stat_of "$out" 'Queries completed:' 3)
  echo "$(printf '%.0f' "$qps") $avg $(json "$lat" p99_ms) $(json "$lat" lost) $(calc "(($cpu1 - $cpu0) * 1000 / Math.max(1, $completed)).toFixed(1)") $(json "$lat" p50_ms) $(json "$lat" p999_ms)"
}

NAMES=("dnsmasq $DNSMASQ_VERSION" "Knot DNS $KNOT_VERSION")
PORTS=("$DNSMASQ_PORT" "$KNOT_PORT"); SERVER_PIDS=("$DNSMASQ_PID" "$KNOT_PID")
KNOT=1 # its index in NAMES: the reference of the CPU ratios
for i in "${!CONFIGS[@]}"; do
  NAMES+=("rundock dns (${CONFIGS[$i]/baseline/default, BASELINE})"); PORTS+=("${RD_PORTS[$i]}"); SERVER_PIDS+=("${RD_PIDS[$i]}")
done

log "warm-up (3 s each)"
for i in "${!NAMES[@]}"; do dnsperf -s 127.0.0.1 -p "${PORTS[$i]}" -d "$TMP/small/queries.txt" -c 4 -l 3 >/dev/null 2>&1; done

# ROUNDS interleaved rounds (server A, B, C, A, B, C, ...); each server's best round is reported (the highest qps at
# full speed, the lowest p99 at the fixed rate): noise from other work on the machine only ever makes a run worse.
declare -a FULL FIXED ALL_FULL ALL_FIXED
declare -A CPU_AT # "server,round" -> CPU µs per query at the fixed rate
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!NAMES[@]}"; do
    log "round $round/$ROUNDS, full speed, ${SECS} s: ${NAMES[$i]}"
    row=$(run_perf "full-$i-$round" "${PORTS[$i]}" "${SERVER_PIDS[$i]}" -l "$SECS")
    ALL_FULL[$i]="${ALL_FULL[$i]:-}${ALL_FULL[$i]:+ / }$(echo "$row" | awk '{print $1}')"
    if [ -z "${FULL[$i]:-}" ] || [ "$(echo "$row" | awk '{print $1}')" -gt "$(echo "${FULL[$i]}" | awk '{print $1}')" ]; then FULL[$i]=$row; fi
  done
done
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!NAMES[@]}"; do
    log "round $round/$ROUNDS, fixed $RATE qps, ${SECS} s: ${NAMES[$i]}"
    row=$(run_perf "fixed-$i-$round" "${PORTS[$i]}" "${SERVER_PIDS[$i]}" -l "$SECS" -Q "$RATE")
    p99=$(echo "$row" | awk '{print $3}')
    ALL_FIXED[$i]="${ALL_FIXED[$i]:-}${ALL_FIXED[$i]:+ / }$p99"
    CPU_AT["$i,$round"]=$(echo "$row" | awk '{print $5}')
    if [ -z "${FIXED[$i]:-}" ] || node -e "process.exit(Number(process.argv[1]) < Number(process.argv[2]) ? 0 : 1)" "$p99" "$(echo "${FIXED[$i]}" | awk '{print $3}')"; then FIXED[$i]=$row; fi
  done
done
RSS_SMALL=()
for i in "${!NAMES[@]}"; do RSS_SMALL[$i]=$(json "$(helper rss "${SERVER_PIDS[$i]}")" total_kib); done
for i in "${!CONFIGS[@]}"; do stop_rundock "${RD_PIDS[$i]}"; done

# --- 100,000 records ---------------------------------------------------------------------------------------------------
# Two ways in: a cold start with the records already in etcd (the server's initial load), and a server started on the
# empty zone that receives them through its watch. Memory, qps and change latency are measured on the second (as the
# cold start may not complete: see its row).
CONFIGS_BIG=("${CONFIGS[@]}")
[ "$RECORDS_BIG" -gt 0 ] || CONFIGS_BIG=()
[ "$RECORDS_BIG" -gt 0 ] && helper files "$RECORDS_BIG" "$BIG_DOMAIN" "$TMP/big"
LAST_BIG=$(node -e "const n=Number(process.argv[1]); console.log('svc'+String(n-1).padStart(Math.max(4,String(n-1).length),'0'))" "$RECORDS_BIG")
COLD_WAIT=${COLD_WAIT:-30}
declare -a BIG_ROWS COLD_ROWS
for i in "${!CONFIGS_BIG[@]}"; do
  config=${CONFIGS_BIG[$i]}
  log "loading $RECORDS_BIG records into etcd: $(helper load "$ETCD" "$RECORDS_BIG" "$BIG_DOMAIN")"
  log "100k zone ($config): cold start with the records in etcd (at most $COLD_WAIT s)"
  started=$(date +%s%N)
  start_config "cold$i" "$BIG_DOMAIN" "$config"
  if COLD_TRIES=$((COLD_WAIT * 10)) wait_answer_for "$RD_PORT" "$LAST_BIG.$BIG_DOMAIN"; then
    COLD_ROWS[$i]="loaded, first answer after $(( ($(date +%s%N) - started) / 1000000 )) ms"
  else
    why=$(grep -o 'RESOURCE_EXHAUSTED[^"]*' "$TMP/rundock-cold$i.log" | head -1 || true)
    COLD_ROWS[$i]="no answer within $COLD_WAIT s${why:+ (the log says: $why)}"
  fi
  stop_rundock "$RD_PID"
  log "100k zone ($config): ${COLD_ROWS[$i]}"
  log "unloading: $(helper unload "$ETCD" "$BIG_DOMAIN")"
  start_config "big$i" "$BIG_DOMAIN" "$config"
  wait_answering "$RD_PORT" || { log "rundock dns ($config) does not start"; cat "$TMP/rundock-big$i.log" >&2; exit 1; }
  started=$(date +%s%N)
  log "loading $RECORDS_BIG records into etcd under a running server: $(helper load "$ETCD" "$RECORDS_BIG" "$BIG_DOMAIN")"
  wait_answer "$RD_PORT" "$LAST_BIG.$BIG_DOMAIN" || { log "rundock dns ($config) does not answer with $RECORDS_BIG records"; cat "$TMP/rundock-big$i.log" >&2; exit 1; }
  load_ms=$(( ($(date +%s%N) - started) / 1000000 ))
  sleep 5
  rss_loaded=$(helper rss "$RD_PID")
  log "100k zone ($config): dnsperf ${SECS} s over the $RECORDS_BIG names"
  dnsperf -s 127.0.0.1 -p "$RD_PORT" -d "$TMP/big/queries.txt" -c 4 -l "$SECS" >"$TMP/perf-big-$i.out" 2>&1
  rss_after=$(helper rss "$RD_PID")
  big_qps=$(printf '%.0f' "$(stat_of "$TMP/perf-big-$i.out" 'Queries per second:' 4)")
  big_lost=$(stat_of "$TMP/perf-big-$i.out" 'Queries lost:' 3)
  big_nx=$(grep -o 'NXDOMAIN [0-9]*' "$TMP/perf-big-$i.out" | awk '{print $2}' || true)
  log "100k zone ($config): put -> answer, $CHANGE_RUNS times"
  change=$(helper change "$ETCD" "$BIG_DOMAIN" "$RD_PORT" "$CHANGE_RUNS")
  BIG_ROWS[$i]="$load_ms $(json "$rss_loaded" total_kib) $(json "$rss_after" total_kib) $big_qps $(json "$change" median_ms) $(json "$change" max_ms) $big_lost ${big_nx:-0}"
  echo "$rss_loaded" >"$TMP/rss-big-$i.json"
  echo "$change" >"$TMP/change-big-$i.json"
  stop_rundock "$RD_PID"
  helper unload "$ETCD" "$BIG_DOMAIN" >/dev/null
done

if [ -n "${PROFILE:-}" ]; then
  log "profile: rundock dns under dnsperf at a fixed $RATE qps, ${SECS} s"
  mkdir -p "$TMP/prof"
  RD_PORT=$(free_port)
  setsid node --cpu-prof --cpu-prof-dir="$TMP/prof" bin/rundock.js dns --etcd "$ETCD" --domain "$DOMAIN" --listen "127.0.0.1:$RD_PORT" \
    --metrics-listen "127.0.0.1:$(free_port)" >"$TMP/rundock-prof.log" 2>&1 &
  RD_PID=$!; PIDS+=(-"$RD_PID")
  wait_answer "$RD_PORT" svc0999.$DOMAIN
  dnsperf -s 127.0.0.1 -p "$RD_PORT" -d "$TMP/small/queries.txt" -c 4 -l 3 >/dev/null 2>&1 # the cache filled
  dnsperf -s 127.0.0.1 -p "$RD_PORT" -d "$TMP/small/queries.txt" -c 4 -l "$SECS" -Q "$RATE" >/dev/null 2>&1
  stop_rundock "$RD_PID"
  PROFILE_TOP=$(helper profile "$(ls "$TMP"/prof/*.cpuprofile | head -1)" 25 "$SECS")
fi

# --- report --------------------------------------------------------------------------------------------------------
MB() { calc "($1 / 1024).toFixed(1)"; }
field() { echo "$1" | awk -v n="$2" '{print $n}'; }
median() { node -e "const v=process.argv.slice(1).map(Number).sort((a,b)=>a-b),m=v.length>>1;console.log((v.length%2?v[m]:(v[m-1]+v[m])/2).toFixed(2))" "$@"; }
cpu_row() { # cpu_row I: the CPU table's row of server I (each round, median, ratio to Knot's of the same round, median)
  local i=$1 round values=() ratios=()
  for round in $(seq 1 "$ROUNDS"); do
    values+=("${CPU_AT[$i,$round]}")
    ratios+=("$(calc "(${CPU_AT[$i,$round]} / Math.max(0.1, ${CPU_AT[$KNOT,$round]})).toFixed(2)")")
  done
  local each; each=$(IFS=/; echo "${values[*]}" | sed 's|/| / |g')
  local each_ratio; each_ratio=$(IFS=/; echo "${ratios[*]}" | sed 's|/| / |g')
  echo "| ${NAMES[$i]} | $each µs | $(median "${values[@]}") µs | $each_ratio | **$(median "${ratios[@]}")** |"
}
DNSMASQ_QPS=$(field "${FULL[0]}" 1)
echo
echo "Run of $(date -u +%Y-%m-%d) (load average before: $LOAD_BEFORE) on $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), Node.js $(node --version), etcd $ETCD_VERSION, dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ {print $2}'), $SECS s per run, $RECORDS names, dnsperf -c 4 (100 queries outstanding)."
echo
echo "| server | qps (full speed, best of $ROUNDS) | ratio to dnsmasq | avg latency | p99 latency | server CPU per query | lost | qps of each round |"
echo "|---|---|---|---|---|---|---|---|"
for i in "${!NAMES[@]}"; do
  row=${FULL[$i]}
  echo "| ${NAMES[$i]} | $(field "$row" 1) | $(calc "($(field "$row" 1) / $DNSMASQ_QPS).toFixed(2)") | $(field "$row" 2) ms | $(field "$row" 3) ms | $(field "$row" 5) µs | $(field "$row" 4) | ${ALL_FULL[$i]} |"
done
echo
echo "| server, at a fixed $RATE qps (best of $ROUNDS) | achieved qps | p50 | p99 | p99.9 | avg | server CPU per query | lost | p99 of each round |"
echo "|---|---|---|---|---|---|---|---|---|"
for i in "${!NAMES[@]}"; do
  row=${FIXED[$i]}
  echo "| ${NAMES[$i]} | $(field "$row" 1) | $(field "$row" 6) ms | $(field "$row" 3) ms | $(field "$row" 7) ms | $(field "$row" 2) ms | $(field "$row" 5) µs | $(field "$row" 4) | ${ALL_FIXED[$i]} ms |"
done
echo
echo "| server CPU per query at a fixed $RATE qps | each round | median | ratio to Knot's, each round | median ratio to Knot |"
echo "|---|---|---|---|---|"
for i in "${!NAMES[@]}"; do cpu_row "$i"; done
echo
echo "| resident memory with $RECORDS names (after the runs) | MiB |"
echo "|---|---|"
for i in "${!NAMES[@]}"; do echo "| ${NAMES[$i]} | $(MB "${RSS_SMALL[$i]}") |"; done
if [ ${#CONFIGS_BIG[@]} -gt 0 ]; then
echo
echo "| rundock dns, $RECORDS_BIG records | cold start (records already in etcd) | records put under the running server: last one answered after | RSS after load (+5 s) | RSS after ${SECS} s of dnsperf | qps over the $RECORDS_BIG names (lost, NXDOMAIN) | put -> answer, median of $CHANGE_RUNS | worst |"
echo "|---|---|---|---|---|---|---|---|"
for i in "${!CONFIGS_BIG[@]}"; do
  row=${BIG_ROWS[$i]}
  echo "| ${CONFIGS[$i]} | ${COLD_ROWS[$i]} | $(field "$row" 1) ms | $(MB "$(field "$row" 2)") MiB | $(MB "$(field "$row" 3)") MiB | $(field "$row" 4) ($(field "$row" 7), $(field "$row" 8)) | $(field "$row" 5) ms | $(field "$row" 6) ms |"
done
for i in "${!CONFIGS_BIG[@]}"; do
  echo
  echo "RSS per process, ${CONFIGS[$i]}, $RECORDS_BIG records after load: $(node -e "const o=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8')); console.log(o.processes.map(p=>(p.kib/1024).toFixed(1)+' MiB').join(' + '))" "$TMP/rss-big-$i.json")"
  echo "put -> answer, ${CONFIGS[$i]} (ms): $(json "$(cat "$TMP/change-big-$i.json")" times_ms)"
done
fi
if [ -n "${PROFILE:-}" ]; then
  echo
  echo "Where rundock dns spends its time at a fixed $RATE qps (node --cpu-prof, the ${SECS} s after a warm-up, top 25):"
  echo '```'
  echo "$PROFILE_TOP"
  echo '```'
fi
