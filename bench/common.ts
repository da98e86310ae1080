/**
 * Helpers shared by the agent benchmarks (bench/agent-*.ts): timing, statistics, Markdown, bounded waits and the
 * clean-up of the containers a benchmark created. Everything binds to loopback; every wait is bounded.
 */
import { performance } from 'node:perf_hooks';
import { docker } from '../test/integration/harness.js';

/** Wall-clock time in ms since the epoch with sub-millisecond resolution (comparable with Docker's timestamps). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * An RFC 3339 timestamp with up to nanosecond precision, as Docker reports `State.FinishedAt`
 * (`2026-11-28T12:00:00.123456789Z`), in ms since the epoch, keeping the sub-millisecond part.
 */
export function parseNanoTime(text: string): number {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!match?.[1] || !match[3]) throw new Error(`not an RFC 3339 time: ${text}`);
  const whole = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(whole)) throw new Error(`not an RFC 3339 time: ${text}`);
  const fraction = match[2] ? Number(`0.${match[2]}`) * 1000 : 0;
  return whole + fraction;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  const value = sorted[Math.min(rank, sorted.length) - 1];
  if (value === undefined) throw new Error('percentile of an empty list');
  return value;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const [lo, hi] = [sorted[mid - 1], sorted[mid]];
  if (hi === undefined) throw new Error('median of an empty list');
  return sorted.length % 2 === 0 && lo !== undefined ? (lo + hi) / 2 : hi;
}

/** A Markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Rejects with `what` when `promise` has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Force-removes every container whose name starts with `prefix` (the benchmark's own names), keeping volumes. */
export async function removeByPrefix(prefix: string): Promise<number> {
  const all = await docker.listContainers({ all: true });
  const mine = all.filter((c) => c.Names.some((n) => n.startsWith(`/${prefix}`)));
  await Promise.all(
    mine.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  return mine.length;
}

/**
 * Runs `main`, then `cleanup` whether it succeeded, failed or was interrupted (SIGINT/SIGTERM); exits non-zero on
 * failure. `cleanup` must be safe to call once at any point.
 */
export async function runBench(main: () => Promise<void>, cleanup: () => Promise<void>): Promise<void> {
  let cleaned: Promise<void> | undefined;
  const clean = (): Promise<void> =>
    (cleaned ??= cleanup().catch((error: unknown) => console.error('clean-up failed:', error)));
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`${signal}: cleaning up`);
    void clean().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let code = 0;
  try {
    await main();
  } catch (error) {
    console.error(error);
    code = 1;
  }
  await clean();
  process.exit(code);
}

/** Progress on stderr (stdout carries only the Markdown result). */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
