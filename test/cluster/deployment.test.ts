import assert from 'node:assert/strict';
import { open, readlink } from 'node:fs/promises';
import { describe, it } from 'node:test';
import {
  cluster,
  DOMAIN,
  figure,
  HOSTS,
  httpGet,
  loadThroughFrontends,
  PRIVATE,
  PUBLIC,
  recap,
  resolveA,
  rootOf,
  run,
  SCRIPT,
} from './cluster.js';
import { BACK, clusterSuite, loadLine } from './checks.js';

/** The reference cluster as scripts/cluster.sh deploys it with examples/site.yml (it must be up). */
clusterSuite();

/** The first bytes of `path`. */
async function head(path: string, length: number): Promise<Buffer> {
  const file = await open(path);
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(length), 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

describe('the reference cluster as deployed', () => {
  it('runs rundock as the single executable on hosts with no Node.js on PATH', async () => {
    for (const h of HOSTS) {
      const node = await run('bash', [SCRIPT, 'exec', h, 'sh', '-c', 'command -v node npm npx']);
      assert.equal(node.stdout, '', `${h} has Node.js on PATH`);
      const bin = `${rootOf(h)}/usr/local/bin/rundock`;
      assert.deepEqual([...(await head(bin, 4))], [0x7f, 0x45, 0x4c, 0x46], `${bin} is no ELF executable`);
      const status = await run('sv', ['status', `${rootOf(h)}/etc/sv/rundock-agent`]);
      const pid = /\(pid (\d+)\)/.exec(status.stdout)?.[1];
      assert.ok(pid !== undefined, status.stdout);
      assert.equal(await readlink(`/proc/${pid}/exe`), bin, `${h}'s agent`);
    }
  });

  // `scripts/cluster.sh up` ran the whole playbook (role and services) twice and required changed=0 from the second
  // run on every host; this repeats the services' plays alone, as a redeploy does, and finds nothing to do.
  it('the services deployed again with the playbook (--tags influxdb,grafana) change nothing', async () => {
    const r = await cluster('deploy', '--tags', 'influxdb,grafana');
    const counts = recap(r.stdout);
    for (const h of ['node-back-1', 'node-front-2'] as const)
      assert.deepEqual([counts[h]?.changed, counts[h]?.failed], [0, 0], `${h}\n${r.stdout}`);
  });

  it('DNS answers influxdb, node-back-1.influxdb and the public name www with the live frontends', async () => {
    assert.deepEqual(await resolveA(`influxdb.${DOMAIN}`), [PRIVATE[BACK]]);
    assert.deepEqual(await resolveA(`${BACK}.influxdb.${DOMAIN}`), [PRIVATE[BACK]]);
    assert.deepEqual(await resolveA(`www.${DOMAIN}`), [PUBLIC['node-front-1'], PUBLIC['node-front-2']]);
    assert.equal((await httpGet(PRIVATE[BACK], '/', undefined, 8086)).status, 200, 'influxdb serves its volume');
  });

  it('grafana answers through either frontend on port 80, balanced over both instances', async () => {
    const load = loadThroughFrontends();
    await load.more(40);
    const r = await load.stop();
    figure(`steady state: ${loadLine(r)}; per instance ${JSON.stringify(r.byInstance)}`);
    assert.equal(r.failures, 0);
    assert.ok(
      (r.byInstance['node-back-1'] ?? 0) > 5 && (r.byInstance['node-front-2'] ?? 0) > 5,
      JSON.stringify(r.byInstance),
    );
  });
});
