/**
 * The role rundock.rundock.host and examples/site.yml applied by a real ansible-playbook to a throwaway host: a
 * network namespace with its own dockerd (netns-host.ts), reached through a python3 that runs inside it, with
 * rundock_root under a temporary folder (the machine's filesystem is shared). One host plays every part of the
 * reference cluster: etcd member, agent, rundock dns, nginx + gateway, and the backend running influxdb and grafana
 * (busybox stand-ins). Checked: a check-mode run on the bare host (changes reported, nothing written), the real run
 * with the single executable (DNS answers, nginx proxies, the frontend announced), a second run and a second
 * check-mode run with changed=0, a new executable replacing the old one, the npm tarball instead (rundock_install:
 * tarball, on a preinstalled Node.js), and the NodeSource source in check mode (its key from a local file: no
 * network here).
 * Not covered: systemd (PID 1 here is not systemd), Debian's service scripts for docker, etcd and nginx (under
 * rundock_root the role runs etcd and nginx under runit and the caller owns dockerd), a real NodeSource install,
 * Debian's nodejs package, and /etc itself.
 * Needs root, ip, nsenter, dockerd, containerd, ansible-playbook (scripts/test-env.sh up) and a build (the executable
 * and the tarball are made from it; RUNDOCK_EXECUTABLE and RUNDOCK_TARBALL name others).
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { IMAGE } from '../harness.js';
import { createNetnsHost, run, type NetnsHost } from './netns-host.js';
import { waitFor } from '../../support/wait.js';
import { inventory } from './role-inventory.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** The namespace and the /24 it takes; override where another test or a person uses them. */
const NETNS = process.env.RUNDOCK_ROLE_TEST_NETNS ?? 'rundock-role';
const ADDRESS = `${process.env.RUNDOCK_ROLE_TEST_NET ?? '10.79.0'}.2`;
const DOMAIN = 's.role.example.com';

const dir = mkdtempSync(join(tmpdir(), 'rundock-role-'));
let host: NetnsHost | undefined;
let hosts = '';
let tarballPath = '';
/** The control machine's PKI folder (rundock_etcd_pki_dir). */
const pki = join(dir, 'pki');
let executablePath = '';

before(async () => {
  tarballPath = process.env.RUNDOCK_TARBALL ?? (await pack());
  executablePath = process.env.RUNDOCK_EXECUTABLE ?? (await executable());
  host = await createNetnsHost(NETNS, ADDRESS, dir, IMAGE);
  hosts = join(dir, 'hosts.yml');
  const o = { host, executable: executablePath, tarball: tarballPath, domain: DOMAIN, image: IMAGE, pki };
  writeFileSync(hosts, inventory(o));
});

after(async () => {
  await host?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** The tarball of the current build (`npm pack` without its prepack rebuild). */
async function pack(): Promise<string> {
  const out = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir, REPO]);
  assert.equal(out.code, 0, out.stderr);
  return join(dir, (JSON.parse(out.stdout) as [{ filename: string }])[0].filename);
}

/** The single executable of the current build (build/sea.mjs, with the release Node). */
async function executable(): Promise<string> {
  const out = join(dir, 'rundock-linux-x64');
  const built = await run(process.execPath, [join(REPO, 'build/sea.mjs'), out], { timeoutMs: 300_000 });
  assert.equal(built.code, 0, built.stderr);
  return out;
}

/** Another build of the executable: the same bytes and one more at the end, which the loader never reads. */
function rebuilt(path: string): string {
  const out = join(dir, 'rundock-linux-x64-rebuilt');
  copyFileSync(path, out);
  appendFileSync(out, '\n');
  return out;
}

/** The pid of a runit service of the host, from `sv status`. */
async function servicePid(service: string): Promise<string> {
  const status = await host!.exec(['sv', 'status', join(host!.root, 'etc/sv', service)]);
  const pid = /\(pid (\d+)\)/.exec(status.stdout)?.[1];
  assert.ok(pid !== undefined, status.stdout);
  return pid;
}

interface PlaybookRun {
  code: number;
  out: string;
  recap: Record<string, number>;
}

/** ansible-playbook examples/site.yml against the namespace host; resolves with the output and the host's recap. */
function playbook(...args: string[]): Promise<PlaybookRun> {
  return playbookAt(join(REPO, 'examples/site.yml'), ...args);
}

/** ansible-playbook FILE against the namespace host, with the collection of this checkout. */
async function playbookAt(file: string, ...args: string[]): Promise<PlaybookRun> {
  const env = {
    ...process.env,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_LOCAL_TEMP: join(dir, 'ansible-local'),
    ANSIBLE_REMOTE_TEMP: join(dir, 'ansible-remote'),
    ANSIBLE_COLLECTIONS_PATH: REPO,
  };
  const result = await run('ansible-playbook', ['-i', hosts, file, ...args], { env, timeoutMs: 900_000 });
  const out = `${result.stdout}\n${result.stderr}`;
  const line = /^role-h1\s+:\s+(.*)$/m.exec(out)?.[1] ?? '';
  const recap: Record<string, number> = {};
  for (const [, key, count] of line.matchAll(/(\w+)=(\d+)/g)) if (key !== undefined) recap[key] = Number(count);
  return { code: result.code, out, recap };
}

/** What `dig +short` inside the namespace answers from the host's rundock dns. */
async function dig(name: string, type = 'A'): Promise<string> {
  const out = await host!.exec(['dig', '+short', '+time=1', '+tries=1', `@${ADDRESS}`, name, type]);
  return out.stdout.trim();
}

describe('role rundock.rundock.host and examples/site.yml on a bare host', { timeout: 1_800_000 }, () => {
  it('check mode on the bare host reports what it would do and writes nothing', async () => {
    const check = await playbook('--check', '--diff');
    assert.equal(check.code, 0, check.out);
    assert.equal(check.recap.failed, 0, check.out);
    assert.ok((check.recap.changed ?? 0) > 0, check.out);
    assert.match(check.out, /domain: s\.role\.example\.com/, 'the diff shows the config file');
    assert.ok(!existsSync(host!.root), `check mode created ${host!.root}`);
    assert.ok(!existsSync(pki), `check mode made a CA in ${pki}`);
  });

  it('the real run makes it a rundock host: etcd, agent, DNS, nginx + gateway, influxdb and grafana', async () => {
    const first = await playbook('--diff');
    assert.equal(first.code, 0, first.out);
    const version = await host!.exec([join(host!.root, 'usr/local/bin/rundock'), '--version']);
    assert.match(version.stdout, /^\d+\.\d+\.\d+( \(commit [0-9a-f]+(-modified)?\))?$/m, version.stderr);
    const sv = await host!.exec(['sh', '-c', `sv status ${host!.root}/etc/sv/*`]);
    for (const service of ['rundock-agent', 'rundock-dns', 'rundock-gateway', 'rundock-etcd', 'rundock-nginx'])
      assert.match(sv.stdout, new RegExp(`^run: [^:]*/${service}: `, 'm'), sv.stdout);
    await waitFor(async () => (await dig(`influxdb.${DOMAIN}`)) === ADDRESS, 60_000, 250, 'influxdb in DNS');
    assert.match(await dig(`grafana.${DOMAIN}`, 'SRV'), new RegExp(`^10 100 8087 role-h1\\.grafana\\.${DOMAIN}\\.$`));
    assert.equal(await dig(`www.${DOMAIN}`), ADDRESS, 'the frontend announces itself');
    const curl = ['curl', '-s', '-H', 'Host: grafana.role.example.com', `http://${ADDRESS}/`];
    await waitFor(
      async () => (await host!.exec(curl)).stdout.includes('grafana on role-h1'),
      60_000,
      250,
      'nginx route',
    );
    const rendered = readFileSync(join(host!.root, 'etc/nginx/rundock/rundock-upstreams.conf'), 'utf8');
    assert.match(rendered, new RegExp(`upstream docker_grafana \\{\\n\\s+server ${ADDRESS}:8087;`));
    // etcd serves TLS only (curl's plain request: 52, an empty reply), and each daemon has its own certificate.
    const plain = await host!.exec(['curl', '-s', `http://${ADDRESS}:2379/version`]);
    assert.equal(plain.code, 52, plain.stdout);
    assert.equal(statSync(join(host!.root, 'etc/rundock/etcd/gateway.key')).mode & 0o777, 0o600);
    assert.match(
      readFileSync(join(host!.root, 'etc/rundock/config.yml'), 'utf8'),
      /dns:\n(.*\n)*?\s+etcd_cert: \S+\/dns\.crt/,
    );
    const bin = join(host!.root, 'usr/local/bin/rundock');
    assert.equal(readFileSync(bin).subarray(0, 4).toString('latin1'), '\x7fELF', 'rundock is the executable');
    assert.equal(readlinkSync(`/proc/${await servicePid('rundock-agent')}/exe`), bin, 'the agent runs it');
  });

  it('a second run changes nothing, in check mode neither', async () => {
    const second = await playbook();
    assert.equal(second.code, 0, second.out);
    assert.deepEqual([second.recap.changed, second.recap.failed], [0, 0], second.out);
    const check = await playbook('--check', '--diff');
    assert.equal(check.code, 0, check.out);
    assert.deepEqual([check.recap.changed, check.recap.failed], [0, 0], check.out);
  });

  it('plain HTTP is an explicit choice that warns, and a member with data is never switched to it', async () => {
    // The role's own etcd tasks alone (after its checks, which set the paths): quicker than the whole playbook.
    const play = join(dir, 'etcd-plain.yml');
    const role = (tasks: string): object => ({
      'ansible.builtin.include_role': { name: 'rundock.rundock.host', tasks_from: tasks },
    });
    writeFileSync(
      play,
      JSON.stringify([{ hosts: 'all', gather_facts: false, tasks: [role('preflight'), role('etcd-tls')] }]),
    );
    const plain = await playbookAt(
      play,
      '--check',
      '-e',
      'rundock_etcd_tls=false',
      '-e',
      JSON.stringify({
        rundock_etcd_endpoints: [`http://${ADDRESS}:2379`],
        rundock_etcd_initial_cluster: `role-h1=http://${ADDRESS}:2380`,
      }),
    );
    assert.notEqual(plain.code, 0, plain.out);
    // Ansible wraps a warning to the terminal's width.
    const out = plain.out.replace(/\s+/g, ' ');
    assert.match(out, /\[WARNING\]: rundock_etcd_tls is false: etcd at http:\/\/10\.\S+:2379 is plain HTTP/);
    assert.match(out, /the etcd member role-h1 already runs with data in \S+, over TLS/);
  });

  it('a new executable replaces the old one, and the daemons restart on it', async () => {
    const before = await servicePid('rundock-agent');
    const upgrade = await playbook('-e', `rundock_executable=${rebuilt(executablePath)}`);
    assert.equal(upgrade.code, 0, upgrade.out);
    assert.ok((upgrade.recap.changed ?? 0) > 0, upgrade.out);
    assert.notEqual(await servicePid('rundock-agent'), before, 'the agent was restarted');
    await waitFor(
      async () => (await dig(`influxdb.${DOMAIN}`)) === ADDRESS,
      60_000,
      250,
      'influxdb in DNS after the upgrade',
    );
  });

  it('the npm tarball instead (rundock_install: tarball) on a preinstalled Node.js: unpacked, linked, running', async () => {
    // The host's preinstalled Node.js: the one running this test, on the PATH of the host's tools and daemons.
    symlinkSync(process.execPath, join(host!.root, 'usr/local/bin/node'));
    const tarball = ['-e', 'rundock_install=tarball', '-e', 'rundock_nodejs_source=preinstalled'];
    const install = await playbook(...tarball);
    assert.equal(install.code, 0, install.out);
    assert.equal(readdirSync(join(host!.root, 'opt/rundock/releases')).length, 1);
    const bin = join(host!.root, 'usr/local/bin/rundock');
    assert.equal(readlinkSync(bin), join(host!.root, 'opt/rundock/current/bin/rundock.js'));
    assert.equal(readlinkSync(`/proc/${await servicePid('rundock-agent')}/exe`), realpathSync(process.execPath));
    await waitFor(async () => (await dig(`influxdb.${DOMAIN}`)) === ADDRESS, 60_000, 250, 'influxdb in DNS');
  });

  it('NodeSource as the source of Node.js, in check mode: the repository it would add, nothing written', async () => {
    const key = join(dir, 'nodesource-test.asc');
    writeFileSync(key, '-----BEGIN PGP PUBLIC KEY BLOCK-----\n(a stand-in: check mode never installs it)\n');
    const sources = '/etc/apt/sources.list.d/nodesource.sources';
    const before = existsSync(sources) ? readFileSync(sources, 'utf8') : undefined;
    const check = await playbook(
      '--check',
      '--diff',
      '-e',
      'rundock_install=tarball',
      '-e',
      'rundock_nodejs_source=nodesource',
      '-e',
      `rundock_nodesource_key_url=file://${key}`,
    );
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /URIs: https:\/\/deb\.nodesource\.com\/node_24\.x/);
    assert.match(check.out, /Signed-By: \/etc\/apt\/keyrings\/nodesource\.asc/);
    assert.match(check.out, /Pin: origin deb\.nodesource\.com/);
    assert.equal(existsSync(sources) ? readFileSync(sources, 'utf8') : undefined, before, 'check mode wrote to apt');
  });
});
