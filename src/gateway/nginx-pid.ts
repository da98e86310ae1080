/**
 * Where nginx writes its master's pid, found as nginx itself finds it: the `pid` directive in the main context of the
 * configuration it tests (`nginx -T`), else the compiled-in `--pid-path` (`nginx -V`); a relative path is taken from
 * the prefix (`-p`, else the compiled-in `--prefix`). So `--nginx-pid-file` is needed only to override it.
 */
import { isAbsolute, join } from 'node:path';

/** Runs nginx with these arguments; resolves with its exit status (undefined: it could not run) and all output. */
export type RunNginx = (args: readonly string[]) => Promise<{ code: number | undefined; output: string }>;

/**
 * The pid file for nginx started with `baseArgs` (its -p, -c and -e) and `prefix` (-p, if given); throws with
 * nginx's own words when neither the configuration nor the build says.
 */
export async function findPidFile(run: RunNginx, baseArgs: readonly string[], prefix?: string): Promise<string> {
  const dump = await run(['-T', '-q', ...baseArgs]);
  if (dump.code !== 0) throw new Error(`nginx -T failed, so the pid file is unknown: ${dump.output.slice(0, 500)}`);
  const built = compiledPaths((await run(['-V'])).output);
  const path = pidDirective(dump.output) ?? built.pidPath;
  if (path === undefined) throw new Error('neither the configuration (pid) nor nginx -V (--pid-path) names a pid file');
  if (isAbsolute(path)) return path;
  const base = prefix ?? built.prefix;
  if (base === undefined) throw new Error(`the pid file ${path} is relative and nginx -V names no --prefix`);
  return join(base, path);
}

/**
 * The `pid` directive of the main context in an `nginx -T` dump: the first file of the dump is the main
 * configuration; a directive inside a block (depth > 0) is not the main context's.
 */
export function pidDirective(dump: string): string | undefined {
  const files = dump.split(/^# configuration file .*:$/m);
  const main = files[1] ?? files[0] ?? '';
  let depth = 0;
  for (const rawLine of main.split('\n')) {
    const line = rawLine.replace(/#.*$/, '');
    const match = depth === 0 ? /^\s*pid\s+("[^"]+"|'[^']+'|[^;\s]+)\s*;/.exec(line) : null;
    if (match?.[1] !== undefined) return match[1].replace(/^["']|["']$/g, '');
    for (const ch of line) depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
  }
  return undefined;
}

/** `--pid-path` and `--prefix` from `nginx -V`'s configure arguments. */
export function compiledPaths(version: string): { pidPath?: string; prefix?: string } {
  const pidPath = /--pid-path=(\S+)/.exec(version)?.[1];
  const prefix = /--prefix=(\S+)/.exec(version)?.[1];
  return { ...(pidPath !== undefined && { pidPath }), ...(prefix !== undefined && { prefix }) };
}
