/**
 * The only code that runs nginx: `nginx -t` against the whole configuration, and a graceful reload (SIGHUP to the
 * master, or `nginx -s reload`), confirmed by the master's worker processes (new ones started, old ones retiring).
 * Argument arrays only, never a shell.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/** How to reach the nginx that includes the rendered file. */
export interface NginxOptions {
  /** The nginx binary. */
  readonly bin: string;
  /** Main configuration file (`-c`); nginx's compiled-in default when unset. */
  readonly conf?: string | undefined;
  /** Prefix path (`-p`). */
  readonly prefix?: string | undefined;
  /** Error log during `nginx -t` and `-s reload` (`-e`, nginx >= 1.19.5), e.g. when the default path is not writable. */
  readonly errorLog?: string | undefined;
  /** The master's pid file: needed for `signal` reloads and for confirming any reload. */
  readonly pidFile?: string | undefined;
  /** `signal`: SIGHUP to the master (default; nginx parses the config once). `command`: `nginx -s reload`. */
  readonly reload?: 'signal' | 'command';
  /** Limit for `nginx -t` and `nginx -s reload`, ms (default 60 000). */
  readonly timeoutMs?: number;
  /** How long to wait for new workers after a reload, ms (default 5 000). */
  readonly confirmMs?: number;
}

/** Result of `nginx -t`: ok, or nginx's own explanation (its stderr). */
export type NginxTestResult = { readonly ok: true } | { readonly ok: false; readonly output: string };

/** A reload that was not carried out, or not seen to take effect. */
export class NginxReloadError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'NginxReloadError';
  }
}

/** The arguments of `nginx -t` or `nginx -s reload` for these options (a pure function, for tests). */
export function nginxArgs(o: NginxOptions, action: 'test' | 'reload'): string[] {
  const args = action === 'test' ? ['-t', '-q'] : ['-s', 'reload'];
  if (o.prefix !== undefined) args.push('-p', o.prefix);
  if (o.conf !== undefined) args.push('-c', o.conf);
  if (o.errorLog !== undefined) args.push('-e', o.errorLog);
  return args;
}

/** Runs `nginx -t` and reloads nginx. */
export class NginxControl {
  /** `stopping` ends what runs when it aborts: `nginx -t` or `-s reload` is killed, a reload no longer confirmed. */
  constructor(
    readonly options: NginxOptions,
    private readonly stopping?: AbortSignal,
  ) {}

  /** Tests the whole configuration as it is on disk now. Never throws for a failed test; throws if nginx cannot run. */
  async test(): Promise<NginxTestResult> {
    const args = nginxArgs(this.options, 'test');
    const result = await run(this.options.bin, args, this.options.timeoutMs ?? 60_000, this.stopping);
    if (result.code === 0) return { ok: true };
    if (result.code === undefined) throw new Error(`${this.options.bin} -t could not run: ${result.output}`);
    return { ok: false, output: result.output };
  }

  /**
   * Reloads gracefully and, with a pid file, waits until the new config has taken over: the master has started new
   * workers and told the old ones to stop accepting (nginx waits 100 ms between the two). Throws a
   * NginxReloadError if the signal or command fails, or no new worker appears in time (the master refused the
   * config, e.g. a listen address it cannot bind; it keeps serving the old one). `startedMs`: when the new workers
   * appeared, from the signal.
   */
  async reload(): Promise<{ confirmed: boolean; startedMs?: number }> {
    const pid = this.options.pidFile === undefined ? undefined : await readPid(this.options.pidFile);
    const before = pid === undefined ? undefined : await workersOf(pid);
    const signalled = performance.now();
    await this.signal(pid);
    if (pid === undefined || before === undefined) return { confirmed: false };
    const deadline = performance.now() + (this.options.confirmMs ?? 5000);
    if (!(await this.until(deadline, pid, (now) => [...now].some((child) => !before.has(child))))) {
      throw new NginxReloadError(
        `nginx (pid ${pid}) started no new worker within ${this.options.confirmMs ?? 5000} ms: it kept its old config (see its error log)`,
      );
    }
    const startedMs = performance.now() - signalled;
    // The new config is loaded; old workers are told to stop 100 ms later. Not seeing that is no failure.
    await this.until(deadline, pid, async (now) =>
      (await Promise.all([...before].map((old) => !now.has(old) || retiring(old)))).every(Boolean),
    );
    return { confirmed: true, startedMs };
  }

  private async signal(pid: number | undefined): Promise<void> {
    if ((this.options.reload ?? 'signal') === 'command') {
      const args = nginxArgs(this.options, 'reload');
      const result = await run(this.options.bin, args, this.options.timeoutMs ?? 60_000, this.stopping);
      if (result.code !== 0) throw new NginxReloadError(`${this.options.bin} -s reload failed: ${result.output}`);
      return;
    }
    if (pid === undefined) throw new NginxReloadError('signal reload needs the pid file of the nginx master (pidFile)');
    try {
      process.kill(pid, 'SIGHUP');
    } catch (error) {
      throw new NginxReloadError(`cannot signal the nginx master (pid ${pid} from ${this.options.pidFile})`, {
        cause: error,
      });
    }
  }

  /**
   * Polls the master's children every 5 ms (cheap, and keeps measured times honest) until `done` says so (true) or
   * the deadline passes (false). Throws if the master is gone.
   */
  private async until(
    deadline: number,
    pid: number,
    done: (children: ReadonlySet<number>) => boolean | Promise<boolean>,
  ): Promise<boolean> {
    while (performance.now() < deadline) {
      if (this.stopping?.aborted === true)
        throw new NginxReloadError('the gateway stopped before nginx was seen to reload');
      await new Promise((resolve) => setTimeout(resolve, 5));
      const children = await workersOf(pid);
      if (children === undefined) throw new NginxReloadError(`the nginx master (pid ${pid}) is gone`);
      if (await done(children)) return true;
    }
    return false;
  }
}

/** True when an old worker was told to stop (nginx retitles it) or is gone. */
async function retiring(pid: number): Promise<boolean> {
  const title = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return title === '' || title.includes('shutting down');
}

/** The master pid from its pid file. */
async function readPid(path: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new NginxReloadError(`cannot read the nginx pid file ${path} (is nginx running?)`, { cause: error });
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1)
    throw new NginxReloadError(`the nginx pid file ${path} holds no pid (${JSON.stringify(text.trim())})`);
  // A stale pid file may name a process that is not nginx any more: never signal that one.
  const name = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => 'nginx');
  if (!name.startsWith('nginx'))
    throw new NginxReloadError(`pid ${pid} from ${path} is ${name.trim()}, not nginx (stale pid file?)`);
  return pid;
}

/** The master's child processes (workers, cache manager), from /proc; undefined when the master is gone. */
async function workersOf(pid: number): Promise<Set<number> | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return new Set(
      text
        .split(' ')
        .filter((s) => s.length > 0)
        .map(Number),
    );
  } catch {
    return undefined;
  }
}

/** Runs a program without a shell; `code` undefined when it could not start, timed out or was aborted. */
function run(
  bin: string,
  args: readonly string[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<{ code: number | undefined; output: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 1 << 20, signal }, (error, stdout, stderr) => {
      const output = `${stderr}${stdout}`.trim();
      if (error === null) resolve({ code: 0, output });
      else resolve({ code: typeof error.code === 'number' ? error.code : undefined, output: output || error.message });
    });
  });
}
