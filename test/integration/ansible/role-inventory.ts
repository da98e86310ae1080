/**
 * The inventory of the role's test (role.test.ts): one host, role-h1, in every group of examples/hosts (frontends,
 * backends, etcd, dns, influxdb, grafana), reached with a local connection and a python3 that runs inside its
 * network namespace. The services are busybox stand-ins on --network host, as test/cluster/hosts.yml runs them
 * (the engine has no bridge).
 */
import type { NetnsHost } from './netns-host.js';

export function inventory(o: {
  host: NetnsHost;
  executable: string;
  tarball: string;
  domain: string;
  image: string;
  pki: string;
}): string {
  const ip = o.host.address;
  const vars = {
    ansible_connection: 'local',
    // Root already, and no sudo on the test machine: site.yml's become is not needed.
    ansible_become: false,
    ansible_python_interpreter: o.host.python,
    rundock_root: o.host.root,
    rundock_executable: o.executable,
    // For the tests that install the npm tarball instead (-e rundock_install=tarball).
    rundock_tarball: o.tarball,
    rundock_domain: o.domain,
    rundock_docker_host: o.host.dockerHost,
    rundock_private_ip: ip,
    rundock_public_ip: ip,
    rundock_etcd: true,
    // TLS and auth, the role's defaults; the CA and certificates in the test's folder.
    rundock_etcd_endpoints: [`https://${ip}:2379`],
    rundock_etcd_initial_cluster: `role-h1=https://${ip}:2380`,
    rundock_etcd_pki_dir: o.pki,
    rundock_dns: true,
    rundock_dns_config: { listen: `${ip}:53` },
    rundock_gateway: true,
    rundock_gateway_config: {
      upstream: ['grafana=docker_grafana'],
      route: ['grafana.role.example.com=grafana'],
      route_listen: [`${ip}:80`],
      min_wait: '50ms',
      max_wait: '500ms',
    },
    rundock_nginx_directives: ['proxy_connect_timeout 1s', 'proxy_next_upstream error timeout http_502 http_503'],
    rundock_config: { announce_self: 'www', lease_ttl: 15, record_ttl: 1, stable_after: '1s' },
    influxdb_image: o.image,
    influxdb_args: '--network host --volumes-from data.influxdb',
    influxdb_cmd: `sh -c 'trap "exit 0" TERM; httpd -f -p 8086 -h /www & wait'`,
    influxdb_health: { cmd: 'wget -q -O /dev/null http://127.0.0.1:8086/', interval: '1s', timeout: '1s', retries: 2 },
    grafana_image: o.image,
    grafana_args: `--network host -e INSTANCE=role-h1 -e INFLUXDB_HOST=influxdb.${o.domain} -e INFLUXDB_PORT=8086`,
    grafana_cmd:
      `sh -c 'trap "exit 0" TERM; mkdir -p /tmp/g; echo "grafana on $INSTANCE" > /tmp/g/index.html; ` +
      `httpd -f -p 8087 -h /tmp/g & wait'`,
    grafana_port: 8087,
    grafana_health: { cmd: 'wget -q -O /dev/null http://127.0.0.1:8087/', interval: '1s', timeout: '1s', retries: 2 },
  };
  // JSON is YAML: the inventory plugin reads it, and no value needs quoting by hand.
  const member = { hosts: { 'role-h1': null } };
  return JSON.stringify({
    all: {
      hosts: { 'role-h1': vars },
      children: { frontends: member, backends: member, etcd: member, dns: member, influxdb: member, grafana: member },
    },
  });
}
