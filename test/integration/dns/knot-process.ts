/**
 * A real Knot DNS (`knotd`, Debian's package knot) as the public zone's primary for tests: zone example.com from a
 * zone file, a TSIG key (hmac-sha256) written as tsig-keygen writes it, and an ACL that lets that key update the
 * given names only (`update-owner: name`, `update-owner-match: equal`). Loopback, a free port, a temporary folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness.js';
import { addressesOf, decodeReply, queryBytes, udpExchange } from './client.js';

export const KNOTD = process.env.RUNDOCK_TEST_KNOTD ?? '/usr/sbin/knotd';

export interface KnotProcess {
  port: number;
  /** The key file the primary accepts, and one with the same name and another secret. */
  keyFile: string;
  badKeyFile: string;
  /** A records of `name` as Knot answers them (sorted); undefined without an answer. */
  addresses(name: string): Promise<string[] | undefined>;
  stop(): Promise<void>;
  start(): Promise<void>;
  kill(): Promise<void>;
}

/** A BIND key file, as `tsig-keygen -a hmac-sha256 NAME` prints it. */
export function tsigKeyFile(name: string, secret: string): string {
  return `key "${name}" {\n\talgorithm hmac-sha256;\n\tsecret "${secret}";\n};\n`;
}

/** Starts knotd as the primary of example.com, updatable by the key for `updatable` names only. */
export async function startKnot(updatable: readonly string[], keyName = 'rundock-public'): Promise<KnotProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'rundock-knot-'));
  await mkdir(join(dir, 'db'));
  const port = await freePort();
  const secret = randomBytes(32).toString('base64');
  const keyFile = join(dir, 'tsig.key');
  const badKeyFile = join(dir, 'bad.key');
  await writeFile(keyFile, tsigKeyFile(keyName, secret), { mode: 0o600 });
  await writeFile(badKeyFile, tsigKeyFile(keyName, randomBytes(32).toString('base64')), { mode: 0o600 });
  await writeFile(
    join(dir, 'example.com.zone'),
    [
      '$ORIGIN example.com.',
      '$TTL 300',
      '@ SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 5',
      '@ NS ns1.example.com.',
      'ns1 A 192.0.2.53',
      'mail A 192.0.2.25',
      '',
    ].join('\n'),
  );
  const names = updatable.map((n) => `${n}.`).join(', ');
  await writeFile(
    join(dir, 'knot.conf'),
    [
      'server:',
      `    listen: 127.0.0.1@${port}`,
      `    rundir: ${dir}`,
      'database:',
      `    storage: ${join(dir, 'db')}`,
      'key:',
      `  - id: ${keyName}`,
      '    algorithm: hmac-sha256',
      `    secret: ${secret}`,
      'acl:',
      '  - id: public-names',
      `    key: ${keyName}`,
      '    action: update',
      '    update-owner: name',
      '    update-owner-match: equal',
      `    update-owner-name: [${names}]`,
      'zone:',
      '  - domain: example.com',
      `    storage: ${dir}`,
      '    file: example.com.zone',
      '    acl: public-names',
      '    zonefile-sync: -1',
      '    journal-content: changes',
      'log:',
      '  - target: stderr',
      '    any: info',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const addresses = async (name: string): Promise<string[] | undefined> => {
    const raw = await udpExchange(port, queryBytes(name, 'A'), 500);
    return raw === undefined ? undefined : addressesOf(decodeReply(raw)).sort();
  };
  const start = async (): Promise<void> => {
    const started = spawn(KNOTD, ['-c', join(dir, 'knot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    const killOnExit = (): void => void started.kill('SIGKILL');
    process.once('exit', killOnExit);
    started.once('exit', () => process.off('exit', killOnExit));
    for (let i = 0; i < 100 && (await addresses('ns1.example.com')) === undefined; i++) {
      if (started.exitCode !== null) throw new Error(`knotd exited with ${started.exitCode}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    keyFile,
    badKeyFile,
    addresses,
    start,
    stop,
    kill: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
