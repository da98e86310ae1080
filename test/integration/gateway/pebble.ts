/**
 * A real ACME CA for tests: Debian's Pebble (Let's Encrypt's test CA) with pebble-challtestsrv as its DNS, on
 * loopback ports of their own. Every name resolves to 127.0.0.1 (the gateway's nginx under test) unless a test says
 * otherwise (`resolveTo`), and Pebble fetches HTTP-01 challenges from `httpPort` (the nginx route port).
 * No random validation delay (PEBBLE_VA_NOSLEEP), no reused authorizations (every order proves its names again) and
 * no nonces rejected on purpose: a test's order takes well under a second.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './backends.js';
import { orFalse, waitFor } from '../../support/wait.js';

export interface PebbleOptions {
  /** Where Pebble's VA connects for HTTP-01 (the gateway's plain HTTP route port). */
  httpPort: number;
  /** Lifetime of issued certificates, seconds (Pebble's default: 5 years). */
  validitySeconds?: number;
  /** The address Pebble listens on and its certificate names (default 127.0.0.1). */
  address?: string;
}

export interface PebbleProcess {
  /** The ACME directory URL. */
  directory: string;
  /** The PEM file to trust for the directory's HTTPS (--acme-ca-file). */
  caFile: string;
  /** The root that issues certificates (PEM), to verify what the gateway serves; changes with every Pebble start. */
  issuerRoot(): Promise<string>;
  /** Makes Pebble's DNS answer `hostname` with `address` (127.0.0.2: nothing listens, validation fails). */
  resolveTo(hostname: string, address: string): Promise<void>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

/** Starts pebble-challtestsrv and Pebble; resolves once the directory answers. */
export async function startPebble(o: PebbleOptions): Promise<PebbleProcess> {
  const address = o.address ?? '127.0.0.1';
  const dir = await mkdtemp(join(tmpdir(), 'rundock-pebble-'));
  const [acmePort, managementPort, dnsPort, dnsManagementPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const cert = join(dir, 'pebble.crt');
  const key = join(dir, 'pebble.key');
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=pebble', '-addext', `subjectAltName=IP:${address}`],
  ]);
  const config = {
    pebble: {
      listenAddress: `${address}:${acmePort}`,
      managementListenAddress: `${address}:${managementPort}`,
      certificate: cert,
      privateKey: key,
      httpPort: o.httpPort,
      tlsPort: 5001,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
      ...(o.validitySeconds !== undefined && { certificateValidityPeriod: o.validitySeconds }),
    },
  };
  await writeFile(join(dir, 'pebble.json'), JSON.stringify(config));
  const dns = spawnQuiet('pebble-challtestsrv', [
    ...['-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-dns01', `127.0.0.1:${dnsPort}`],
    ...['-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${dnsManagementPort}`],
  ]);
  const pebble = spawnQuiet('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], {
    PEBBLE_VA_NOSLEEP: '1',
    PEBBLE_AUTHZREUSE: '0',
    PEBBLE_WFE_NONCEREJECT: '0',
  });
  const ca = new Agent({ ca: await readFile(cert, 'utf8') });
  const get = (url: string): Promise<string> => httpsText(url, ca);
  const stop = async (): Promise<void> => {
    await Promise.all([stopChild(pebble), stopChild(dns)]);
    await rm(dir, { recursive: true, force: true });
  };
  const directory = `https://${address}:${acmePort}/dir`;
  try {
    await waitFor(
      orFalse(async () => (await get(directory)).includes('newOrder')),
      // Pebble makes its CA's keys at start: seconds on a busy machine.
      30_000,
      50,
      'Pebble answers',
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    directory,
    caFile: cert,
    issuerRoot: () => get(`https://${address}:${managementPort}/roots/0`),
    resolveTo: async (hostname, to) => {
      const base = `http://127.0.0.1:${dnsManagementPort}`;
      await postJson(`${base}/clear-a`, { host: `${hostname}.` });
      await postJson(`${base}/add-a`, { host: `${hostname}.`, addresses: [to] });
    },
    stop,
  };
}

function spawnQuiet(bin: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(bin, args, { stdio: 'ignore', env: { ...process.env, ...env } });
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function httpsText(url: string, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

async function postJson(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
}
