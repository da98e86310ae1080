/**
 * `rundock dns` as the packaged service runs it: no flags, every setting from the config file (domain, etcd, dns:),
 * against a real etcd. Run against the installed release by scripts/test-release.sh (RUNDOCK_BIN): the log says which
 * UDP engine answers, the batched addon where the package has one for this platform; and a copy of the package
 * whose only addon is for another platform answers the same on dgram, after one log line saying why.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { platformTag } from '../../../src/dns/serve/udp-batch.js';
import { BIN, freePort } from '../harness.js';
import { startEtcd, type EtcdProcess } from '../registry/etcd-process.js';
import { addressesOf, udpQuery } from './client.js';

const DOMAIN = 's.smoke.example.com';
const work = mkdtempSync(join(tmpdir(), 'rundock-dns-smoke-'));
let etcd: EtcdProcess;

before(async () => {
  etcd = await startEtcd();
  const client = new Etcd3({ hosts: etcd.endpoint });
  await client.put('/skydns/com/example/smoke/s/web/h1').value('{"host":"10.1.2.3","port":80}');
  client.close();
});
after(async () => {
  await etcd?.kill();
  rmSync(work, { recursive: true, force: true });
});

/** Runs `BIN dns` with only a config file until it answers web.<domain>; returns the answer and the log. */
async function serve(bin: string): Promise<{ addresses: string[]; log: string }> {
  const [port, metrics] = [await freePort(), await freePort()];
  const config = join(work, `config-${port}.yml`);
  writeFileSync(
    config,
    `domain: ${DOMAIN}\netcd: [${etcd.endpoint}]\ndns:\n  listen: 127.0.0.1:${port}\n  metrics_listen: 127.0.0.1:${metrics}\n`,
  );
  const child = spawn(process.execPath, [bin, 'dns'], {
    env: { ...process.env, RUNDOCK_CONFIG: config },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  try {
    for (let i = 0; i < 100; i++) {
      if (log.includes('dns serving')) {
        return { addresses: addressesOf(await udpQuery(port, `web.${DOMAIN}`, 'A')), log };
      }
      if (child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`rundock dns did not start:\n${log}`);
  } finally {
    child.kill('SIGTERM');
  }
}

/** The folder of the package BIN belongs to (BIN may be the link npm made in <prefix>/bin). */
const packageRoot = (): string => dirname(dirname(realpathSync(BIN)));

describe('rundock dns from the config file alone', () => {
  it('answers, and the log names the UDP engine: batched where the package has an addon for this platform', async () => {
    const { addresses, log } = await serve(BIN);
    assert.deepEqual(addresses, ['10.1.2.3']);
    const addons = readdirSync(join(packageRoot(), 'dist')).filter((f) => f.endsWith('.node'));
    const engine = addons.includes(`udp_batch-${platformTag()}.node`) ? 'batch' : 'dgram';
    assert.match(log, new RegExp(`"udp_engine":"${engine}".*"msg":"DNS server listening"`), log);
  });

  it("answers on Node's dgram socket when the only addon is another platform's, with one log line saying so", async () => {
    const copy = join(work, 'package');
    for (const part of ['package.json', 'bin', 'dist'])
      cpSync(join(packageRoot(), part), join(copy, part), { recursive: true });
    for (const addon of readdirSync(join(copy, 'dist')).filter((f) => f.endsWith('.node')))
      renameSync(join(copy, 'dist', addon), join(copy, 'dist', 'udp_batch-linux-riscv64-musl.node'));
    const { addresses, log } = await serve(join(copy, 'bin', 'rundock.js'));
    assert.deepEqual(addresses, ['10.1.2.3']);
    const lines = log.split('\n').filter((line) => line.includes('batched UDP addon not used'));
    assert.equal(lines.length, 1, log);
    assert.ok((lines[0] ?? '').includes(`no udp_batch-${platformTag()}.node for this platform`), lines[0]);
    assert.ok((lines[0] ?? '').includes('there is udp_batch-linux-riscv64-musl.node'), lines[0]);
    assert.match(log, /"udp_engine":"dgram".*"msg":"DNS server listening"/);
  });
});
