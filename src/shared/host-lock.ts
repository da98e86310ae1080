/**
 * Locks that a process holds until it lets go or dies, on one host: an abstract Unix socket (Linux) listened on under
 * the lock's name. The kernel frees the name when the process exits, however it exits: no stale file, nothing to
 * clean up after a crash. A process that finds the name taken connects to it and reads who holds it (one JSON line
 * the holder writes to every connection), and can wait until the holder lets go: the connection then ends.
 *
 * Abstract socket names belong to a network namespace: processes in two namespaces never see each other's locks
 * (docs/cli.md says what that means for agents). On platforms without abstract sockets every lock is granted.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** Who holds a lock: its process, since when, and whatever else the holder says of itself. */
export interface LockHolder {
  pid: number;
  /** RFC 3339. */
  since: string;
  [detail: string]: unknown;
}

/** A lock held by this process. */
export interface HostLock {
  readonly name: string;
  /** Lets go: waiters' connections end. Idempotent. */
  release(): Promise<void>;
}

/** A lock taken, or who holds it (undefined when the holder did not say in time: stopped, or not a rundock lock). */
export type LockAttempt = { lock: HostLock } | { lock?: undefined; holder: LockHolder | undefined };

/** How long a process asking who holds a lock waits for the answer. */
const HOLDER_ANSWER_MS = 1000;

const ABSTRACT = process.platform === 'linux';

/** Takes lock `name` for this process if it is free; says who holds it if not. */
export async function tryLock(name: string, holder: LockHolder): Promise<LockAttempt> {
  if (!ABSTRACT) return { lock: { name, release: async () => undefined } };
  const sockets = new Set<Socket>();
  const line = `${JSON.stringify(holder)}\n`;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.unref();
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.write(line);
  });
  server.unref();
  const taken = await new Promise<boolean>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(false) : reject(error),
    );
    server.listen({ path: `\0${name}` }, () => resolve(true));
  });
  if (!taken) return { holder: await holderOf(name) };
  return { lock: { name, release: () => close(server, sockets) } };
}

/** Who holds lock `name` now; undefined when no one does, or the holder does not say within a second. */
export async function holderOf(name: string): Promise<LockHolder | undefined> {
  if (!ABSTRACT) return undefined;
  const socket = createConnection({ path: `\0${name}` });
  try {
    return await new Promise<LockHolder | undefined>((resolve) => {
      let text = '';
      const timer = setTimeout(() => resolve(undefined), HOLDER_ANSWER_MS);
      const done = (value: LockHolder | undefined): void => (clearTimeout(timer), resolve(value));
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (text.includes('\n')) done(parseHolder(text.slice(0, text.indexOf('\n'))));
      });
      socket.on('error', () => done(undefined));
      socket.on('close', () => done(undefined));
    });
  } finally {
    socket.destroy();
  }
}

/**
 * Resolves once lock `name` is not held (its holder let go or died), or `signal` aborts; `holding` is called with
 * the holder once it says who it is. It may be taken by another process at once: try again with `tryLock`.
 */
export async function untilReleased(
  name: string,
  signal?: AbortSignal,
  holding?: (holder: LockHolder) => void,
): Promise<void> {
  if (!ABSTRACT || signal?.aborted) return;
  const socket = createConnection({ path: `\0${name}` });
  let text: string | undefined = '';
  await new Promise<void>((resolve) => {
    const abort = (): void => void socket.destroy();
    signal?.addEventListener('abort', abort, { once: true });
    socket.on('data', (chunk: Buffer) => {
      if (text === undefined) return;
      text += chunk.toString('utf8');
      const end = text.indexOf('\n');
      if (end < 0) return;
      const holder = parseHolder(text.slice(0, end));
      text = undefined;
      if (holder !== undefined) holding?.(holder);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (signal?.removeEventListener('abort', abort), resolve()));
  });
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    return typeof value.pid === 'number' && typeof value.since === 'string' ? (value as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

function close(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}
