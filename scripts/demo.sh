#!/usr/bin/env bash
# rundock's main job on one machine: installs Docker and rundock, deploys a demo web service from a local busybox
# image with `rundock enable`, and shows how to reach it. Leaves the service and dockerd running.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --loglevel=error
bash scripts/test-env.sh up
npm run --silent build
rundock() { node bin/rundock.js "$@"; }
ip=127.0.0.1
echo "+ rundock enable demo --image rundock-test/busybox:latest --cmd 'httpd -f -p 8080 -h /www' --announce 8080 --port 8080 --private-ip $ip"
rundock enable demo --image rundock-test/busybox:latest --cmd 'httpd -f -p 8080 -h /www' --announce 8080 --port 8080 --private-ip "$ip"
echo "+ rundock ps"
rundock ps --private-ip "$ip"
echo "+ curl http://$ip:8080/"
curl -fsS "http://$ip:8080/"
echo
echo "demo is running: http://$ip:8080/  (logs: npx rundock logs demo; remove: npx rundock absent demo)"
