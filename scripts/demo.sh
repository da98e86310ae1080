#!/usr/bin/env bash
# rundock's main job on one machine, with the embedded default (no etcd): installs Docker and rundock, starts the
# agent with its embedded registry and DNS server, deploys a demo web service with `rundock enable`, and shows it
# announced and answered by DNS (A and SRV with its port). Leaves the service, the agent and dockerd running.
#
# It uses only what it starts: its own agent (never another one that answers on 9476), and ports that are free (the
# usual 9476, 8053 and 8080, or others it says it picked). A second agent on this Docker engine is refused: the demo
# then names the one that runs and stops. RUNDOCK_DEMO_STATE (default /tmp/rundock-demo) and RUNDOCK_DEMO_SERVICE
# (default demo) put a second demo beside the first.
set -euo pipefail
cd "$(dirname "$0")/.."
# A supported Node.js from the npm registry into .node/ (scripts/node.sh), whatever node this machine has.
node_bin=$(bash scripts/node.sh)
export PATH="$node_bin:$PATH"
EXTRA_PACKAGES="dnsutils curl" bash scripts/test-env.sh up
if node scripts/node-modules-current.mjs; then
  echo "node_modules matches package-lock.json: npm ci skipped"
else
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
rundock() { node bin/rundock.js "$@"; }
ip=127.0.0.1 domain=s.demo.internal
state=${RUNDOCK_DEMO_STATE:-/tmp/rundock-demo} name=${RUNDOCK_DEMO_SERVICE:-demo}
mkdir -p "$state"

# in_use PORT: what listens on 127.0.0.1:PORT (TCP or UDP), as `ss` names it; nothing when it is free
in_use() {
  ss -Hlntup "( sport = :$1 )" 2>/dev/null | awk '{print $NF}' | head -1 |
    sed -E 's/^users:\(\("([^"]*)",pid=([0-9]+).*/by \1, pid \2/; s/^0\.0\.0\.0.*|^\*.*/by a process/' || true
}
# port PREFERRED WHAT: PREFERRED when free, else a free port the kernel picks, saying so in one line
port() {
  local holder free
  holder=$(in_use "$1")
  if [ -z "$holder" ]; then echo "$1"; return; fi
  free=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  echo "port $1 is in use (${holder}): $2 uses $ip:$free instead" >&2
  echo "$free"
}

# The demo's own agent from an earlier run, if it still runs: its pid file and status address are in $state.
agent_status=$(cat "$state/agent.status" 2>/dev/null || true) dns=$(cat "$state/agent.dns" 2>/dev/null || true)
pid=$(cat "$state/agent.pid" 2>/dev/null || true)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && curl -fs "http://$agent_status/healthz" >/dev/null 2>&1; then
  echo "the demo's agent from an earlier run is running (pid $pid, status $agent_status, DNS $dns): used"
else
  agent_status=$ip:$(port 9476 "the agent's status address")
  dns=$ip:$(port 8053 "the DNS server")
  echo "+ rundock agent --domain $domain --dns $dns --status-listen $agent_status --state-dir $state --private-ip $ip &"
  setsid node bin/rundock.js agent --domain "$domain" --dns "$dns" --status-listen "$agent_status" --state-dir "$state" \
    --private-ip "$ip" --public-ip "$ip" >"$state/agent.log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://$agent_status/healthz" >/dev/null 2>&1 && break
    if ! kill -0 "$pid" 2>/dev/null; then
      # Its one line says why: another agent on this Docker engine (named), or an address it cannot listen on.
      grep '^rundock: ' "$state/agent.log" | tail -1 >&2 || tail -1 "$state/agent.log" >&2
      echo "the demo needs an agent of its own on this Docker engine; stopped (log: $state/agent.log)" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "$pid" >"$state/agent.pid"
  echo "$agent_status" >"$state/agent.status"
  echo "$dns" >"$state/agent.dns"
fi
dns_port=${dns##*:}

web=$(port 8080 "the demo service")
cmd="sh -c 'trap \"exit 0\" TERM; httpd -f -p 8080 -h /www & wait'"
echo "+ rundock enable $name --image rundock-test/busybox:latest --cmd \"$cmd\" --announce $web --port 8080 --probe http:/ --probe-interval 1s --agent $agent_status --private-ip $ip"
rundock enable "$name" --image rundock-test/busybox:latest --cmd "$cmd" --announce "$web" --port 8080 --probe http:/ \
  --probe-interval 1s --agent "$agent_status" --private-ip "$ip"
for _ in $(seq 1 50); do [ -n "$(dig +short @$ip -p "$dns_port" "$name.$domain")" ] && break; sleep 0.2; done
echo "+ rundock ps --agent $agent_status"
rundock ps --agent "$agent_status" --private-ip "$ip"
echo "+ dig @$ip -p $dns_port $name.$domain +short"
dig +short @$ip -p "$dns_port" "$name.$domain"
echo "+ dig @$ip -p $dns_port $name.$domain SRV +short"
dig +short @$ip -p "$dns_port" "$name.$domain" SRV
echo "+ curl http://$name.$domain:$web/ (resolved by rundock's DNS)"
curl -fsS --resolve "$name.$domain:$web:$(dig +short @$ip -p "$dns_port" "$name.$domain" | head -1)" "http://$name.$domain:$web/"
echo
echo "$name is running: http://$ip:$web/, DNS on $dns for *.$domain (agent pid $pid, status $agent_status, log $state/agent.log)"
if command -v rundock >/dev/null 2>&1; then run=rundock; else run="npx rundock"; fi
echo "run rundock: $run ps --agent $agent_status$([ "$run" = rundock ] || echo '   (in this checkout; npm install -g . puts rundock on PATH)')"
echo "stop: $run absent $name --agent $agent_status; kill $pid"
