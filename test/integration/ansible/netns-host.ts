/**
 * A throwaway host on this machine for the role's test: a network namespace with one address (on a veth pair whose
 * both ends are inside, so its traffic never leaves the namespace), its own containerd and dockerd (as scripts/cluster.sh runs them: under
 * nsenter, --bridge=none, containers on --network host), the test image loaded, and a python3 wrapper through which
 * Ansible runs every module inside the namespace with DOCKER_HOST, RUNDOCK_CONFIG and PATH aimed at this host.
 * The filesystem is the machine's: everything the role writes goes under `root` (rundock_root).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../support/wait.js';

export interface NetnsHost {
  name: string;
  address: string;
  /** rundock_root: where the role installs and configures. */
  root: string;
  /** unix:// address of this host's dockerd. */
  dockerHost: string;
  /** The python3 that runs inside the namespace (ansible_python_interpreter). */
  python: string;
  /** Runs a program inside the namespace (no shell); never throws on a non-zero exit. */
  exec(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Stops what the role and this helper started in the namespace, and deletes it. */
  destroy(): Promise<void>;
}

/** Runs a program (no shell); resolves with its exit status and output. */
export function run(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        env: options.env ?? process.env,
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

async function must(file: string, args: readonly string[]): Promise<string> {
  const result = await run(file, args);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
  return result.stdout;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Single-quotes a word for the wrapper script (the only shell text here, written once by the test). */
const sq = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** Creates the namespace NAME with ADDRESS/24, starts its engine and loads `image` into it. */
export async function createNetnsHost(name: string, address: string, dir: string, image: string): Promise<NetnsHost> {
  const pids = await run('ip', ['netns', 'pids', name]);
  // One with nothing running in it was left by an interrupted run: taken back. One with processes is another run's.
  if (pids.code === 0 && pids.stdout.trim() !== '')
    throw new Error(
      `network namespace ${name} is in use (pids ${pids.stdout.trim().split('\n').join(', ')}): pick another name`,
    );
  if (pids.code === 0) await must('ip', ['netns', 'del', name]);
  await must('ip', ['netns', 'add', name]);
  const children: ChildProcess[] = [];
  try {
    return await start(name, address, dir, image, children);
  } catch (error) {
    for (const child of children) child.kill('SIGKILL');
    await sleep(500);
    await run('ip', ['netns', 'del', name]);
    throw error;
  }
}

async function start(
  name: string,
  address: string,
  dir: string,
  image: string,
  children: ChildProcess[],
): Promise<NetnsHost> {
  const netns = `/var/run/netns/${name}`;
  const inNs = (argv: readonly string[]): [string, string[]] => ['nsenter', [`--net=${netns}`, ...argv]];
  // A veth pair with both ends inside the namespace: an interface with the address, and nothing outside.
  await must('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  await must('ip', ['-n', name, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1-peer']);
  await must('ip', ['-n', name, 'addr', 'add', `${address}/24`, 'dev', 'eth1']);
  for (const link of ['eth1', 'eth1-peer']) await must('ip', ['-n', name, 'link', 'set', link, 'up']);

  const engine = join(dir, 'engine');
  const root = join(dir, 'root');
  for (const sub of ['run', 'containerd', 'containerd-state', 'docker', 'docker-exec', 'logs'])
    mkdirSync(join(engine, sub), { recursive: true });
  // nginx's workers run unprivileged and must reach its temp folders under root.
  chmodSync(dir, 0o755);
  const containerdSock = join(engine, 'run', 'containerd.sock');
  const dockerSock = join(engine, 'run', 'docker.sock');
  writeFileSync(join(engine, 'containerd.toml'), 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n');
  writeFileSync(join(engine, 'daemon.json'), '{}\n');
  const daemon = (argv: readonly string[], log: string): void => {
    const out = openSync(join(engine, 'logs', log), 'a');
    const [file, args] = inNs(argv);
    const child = spawn(file, args, { detached: true, stdio: ['ignore', out, out] });
    child.unref();
    children.push(child);
  };
  daemon(
    [
      'containerd',
      '--config',
      join(engine, 'containerd.toml'),
      '--address',
      containerdSock,
      '--root',
      join(engine, 'containerd'),
      '--state',
      join(engine, 'containerd-state'),
    ],
    'containerd.log',
  );
  await waitFor(() => Promise.resolve(existsSync(containerdSock)), 30_000, 250, 'containerd');
  daemon(
    [
      'dockerd',
      '--config-file',
      join(engine, 'daemon.json'),
      '--data-root',
      join(engine, 'docker'),
      '--exec-root',
      join(engine, 'docker-exec'),
      '-H',
      `unix://${dockerSock}`,
      '--pidfile',
      join(engine, 'run', 'dockerd.pid'),
      '--containerd',
      containerdSock,
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
      '--userland-proxy=false',
    ],
    'dockerd.log',
  );
  const docker = ['docker', '-H', `unix://${dockerSock}`];
  await waitFor(
    async () => (await run(docker[0] ?? 'docker', [...docker.slice(1), 'info'])).code === 0,
    60_000,
    250,
    'dockerd',
  );
  await loadImage(image, dockerSock);

  const python = join(dir, 'python3');
  const path = `${root}/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
  writeFileSync(
    python,
    `#!/bin/sh\nexec nsenter --net=${sq(netns)} env DOCKER_HOST=${sq(`unix://${dockerSock}`)} ` +
      `RUNDOCK_CONFIG=${sq(`${root}/etc/rundock/config.yml`)} PATH=${sq(path)} python3 "$@"\n`,
  );
  chmodSync(python, 0o755);

  return {
    name,
    address,
    root,
    dockerHost: `unix://${dockerSock}`,
    python,
    exec: (argv) => {
      const [file, args] = inNs(argv);
      return run(file, args);
    },
    destroy: () => destroy(name, root, dockerSock, children, dir),
  };
}

/** `docker save IMAGE | docker -H SOCK load`, the two processes piped without a shell. */
function loadImage(image: string, dockerSock: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const save = spawn('docker', ['save', image], { stdio: ['ignore', 'pipe', 'inherit'] });
    const load = spawn('docker', ['-H', `unix://${dockerSock}`, 'load', '-q'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    save.stdout.pipe(load.stdin);
    load.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker load ${image}: exit ${code}`))));
  });
}

/** The pids of the processes in namespace NAME (all started by this test: the role's runsvdir tree, the engine). */
async function pidsIn(name: string): Promise<number[]> {
  const out = await run('ip', ['netns', 'pids', name]);
  return out.stdout.split('\n').filter(Boolean).map(Number);
}

async function destroy(
  name: string,
  root: string,
  dockerSock: string,
  children: ChildProcess[],
  dir: string,
): Promise<void> {
  // runsvdir (started by the role) on SIGHUP sends TERM to every runsv, which stop their services (bounded by each
  // service's control/t) and exit.
  const runsvdirPid = join(root, 'run', 'rundock-runsvdir.pid');
  if (existsSync(runsvdirPid)) {
    try {
      process.kill(Number(readFileSync(runsvdirPid, 'utf8').trim()), 'SIGHUP');
    } catch {
      // Not running any more.
    }
  }
  const containers = await run('docker', ['-H', `unix://${dockerSock}`, 'ps', '-aq']);
  const ids = containers.stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await run('docker', ['-H', `unix://${dockerSock}`, 'rm', '-f', ...ids]);
  for (const child of [...children].reverse()) {
    child.kill('SIGTERM');
    await waitFor(
      () => Promise.resolve(child.exitCode !== null || child.signalCode !== null),
      30_000,
      250,
      'engine stop',
    ).catch(() => child.kill('SIGKILL'));
  }
  await waitFor(async () => (await pidsIn(name)).length === 0, 20_000, 250, 'services stop').catch(async () => {
    for (const pid of await pidsIn(name)) process.kill(pid, 'SIGKILL');
    await sleep(500);
  });
  // Mounts a stopped dockerd left behind (overlay layers, shm) would keep the folder busy.
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${dir}/`));
  for (const mount of mounts.sort().reverse()) await run('umount', ['-l', mount]);
  await run('ip', ['netns', 'del', name]);
}
