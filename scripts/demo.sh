#!/usr/bin/env bash
# rundock's main job on one machine, with the embedded default (no etcd): installs Docker and rundock, starts the
# agent with its embedded registry and DNS server, deploys a demo web service with `rundock enable`, and shows it
# announced and answered by DNS (A and SRV with its port). Leaves the service, the agent and dockerd running.
set -euo pipefail
cd "$(dirname "$0")/.."
# A supported Node.js from the npm registry into .node/ (scripts/node.sh), whatever node this machine has.
node_bin=$(bash scripts/node.sh)
export PATH="$node_bin:$PATH"
EXTRA_PACKAGES="dnsutils curl" bash scripts/test-env.sh up
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
rundock() { node bin/rundock.js "$@"; }
ip=127.0.0.1 domain=s.demo.internal dns=127.0.0.1:8053 state=/tmp/rundock-demo
mkdir -p "$state"
if ! curl -fs http://127.0.0.1:9476/healthz >/dev/null 2>&1; then
  echo "+ rundock agent --domain $domain --dns $dns --state-dir $state --private-ip $ip &"
  setsid node bin/rundock.js agent --domain "$domain" --dns "$dns" --state-dir "$state" --private-ip "$ip" --public-ip "$ip" \
    >"$state/agent.log" 2>&1 < /dev/null &
  echo $! > "$state/agent.pid"
  for _ in $(seq 1 50); do curl -fs http://127.0.0.1:9476/healthz >/dev/null 2>&1 && break; sleep 0.2; done
fi
cmd="sh -c 'trap \"exit 0\" TERM; httpd -f -p 8080 -h /www & wait'"
echo "+ rundock enable demo --image rundock-test/busybox:latest --cmd \"$cmd\" --announce 8080 --port 8080 --probe http:/ --probe-interval 1s --private-ip $ip"
rundock enable demo --image rundock-test/busybox:latest --cmd "$cmd" --announce 8080 --port 8080 --probe http:/ --probe-interval 1s --private-ip "$ip"
for _ in $(seq 1 50); do [ -n "$(dig +short @127.0.0.1 -p 8053 "demo.$domain")" ] && break; sleep 0.2; done
echo "+ rundock ps"
rundock ps --private-ip "$ip"
echo "+ dig @127.0.0.1 -p 8053 demo.$domain +short"
dig +short @127.0.0.1 -p 8053 "demo.$domain"
echo "+ dig @127.0.0.1 -p 8053 demo.$domain SRV +short"
dig +short @127.0.0.1 -p 8053 "demo.$domain" SRV
echo "+ curl http://demo.$domain:8080/ (resolved by rundock dns)"
curl -fsS --resolve "demo.$domain:8080:$(dig +short @127.0.0.1 -p 8053 "demo.$domain" | head -1)" "http://demo.$domain:8080/"
echo
echo "demo is running: http://$ip:8080/, DNS on $dns for *.$domain (agent pid $(cat "$state/agent.pid" 2>/dev/null || echo '?'), log $state/agent.log)"
echo "stop: npx rundock absent demo; kill \$(cat $state/agent.pid)"
