import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
export { freePort } from '../support/free-port.js';

/**
 * The CLI as users run it: the built bin/rundock.js (the test command builds first), or the one RUNDOCK_BIN names,
 * e.g. `rundock` as `npm install -g` put it from the release tarball, or the single executable run on a host without
 * Node.js (scripts/test-release.sh).
 */
export const BIN = process.env.RUNDOCK_BIN || fileURLToPath(new URL('../../bin/rundock.js', import.meta.url));

/**
 * The program and arguments that run `rundock ARGS...`: a script (bin/rundock.js, or npm's link to it) with the Node
 * that runs the tests, anything else (the executable, a wrapper) as it is.
 */
export function rundockArgv(args: readonly string[]): [string, string[]] {
  return realpathSync(BIN).endsWith('.js') ? [process.execPath, [BIN, ...args]] : [BIN, [...args]];
}
export const IMAGE = 'rundock-test/busybox:latest';
export const REGISTRY = '127.0.0.1:5000';
export const docker = new Docker();
/** Loopback addresses stand in for the host's public and private interfaces. */
export const ADDRESSES = ['--private-ip', '127.0.0.1', '--public-ip', '127.0.0.1'];
/**
 * A web server inside the test image, under a shell that exits on SIGTERM (a bare httpd as PID 1 ignores it, and
 * every stop would wait for Docker's 10 s kill). `before` runs first, e.g. to print a marker.
 */
export function httpdCmd(before = ''): string {
  return `sh -c 'trap "exit 0" TERM; ${before} httpd -f -p 8080 -h /www & wait'`;
}
export const HTTPD = httpdCmd();

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `rundock ARGS...`; never throws on a non-zero exit. */
export function rundock(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      ...rundockArgv(args),
      { env: { ...process.env, RUNDOCK_CONFIG: '/dev/null', ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `rundock ARGS... --json` and parses stdout. */
export async function rundockJson<T = Record<string, unknown>>(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunResult & { json: T }> {
  const result = await rundock([...args, '--json'], env);
  let json: T;
  try {
    json = JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `rundock ${args.join(' ')} printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return { ...result, json };
}

/**
 * A service name unique to this run, so tests never meet each other's containers. RUNDOCK_TEST_NAME_PREFIX (a DNS
 * label start, e.g. `ci-`) goes in front, to tell apart the containers of test runs sharing one dockerd.
 */
export function uniqueName(prefix = 't'): string {
  return `${process.env.RUNDOCK_TEST_NAME_PREFIX ?? ''}${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The container named `name`, or undefined. */
export async function inspectContainer(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch {
    return undefined;
  }
}

/** Removes the named containers (and only them), keeping volumes. */
export async function removeContainers(...names: string[]): Promise<void> {
  await Promise.all(
    names.map((n) =>
      docker
        .getContainer(n)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

/** Every container whose name starts with `name` (service plus swap leftovers). */
export async function containersOf(name: string): Promise<Docker.ContainerInfo[]> {
  const all = await docker.listContainers({ all: true });
  return all.filter((c) => c.Names.some((n) => n === `/${name}` || n.startsWith(`/${name}_rundock_`)));
}

/** GET http://127.0.0.1:PORT/PATH, retrying briefly while the server comes up. */
export async function httpGet(port: number, path = '/', tries = 25): Promise<{ status: number; body: string }> {
  let lastError: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: response.status, body: await response.text() };
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw lastError;
}

/** Runs a command in a container and returns its output. */
export async function execIn(name: string, cmd: string[]): Promise<string> {
  const exec = await docker.getContainer(name).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const sink = { write: (c: Buffer) => chunks.push(c) } as unknown as NodeJS.WritableStream;
    docker.modem.demuxStream(stream, sink, sink);
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  return Buffer.concat(chunks).toString('utf8');
}
