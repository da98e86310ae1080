/**
 * nginx at each size: the rendered file's size, `nginx -t` of the whole configuration with it (run here, the way the
 * gateway runs it: nginx.ts's arguments), and the resident memory of nginx's master and workers.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { nginxArgs } from '../../src/gateway/nginx.js';
import { processTree } from '../../test/integration/dns/dns-process.js';
import { median } from '../common.js';
import type { Context } from './context.js';
import { sampleProcess } from './samples.js';

const run = promisify(execFile);

export interface NginxCost {
  fileBytes: number;
  /** Median of 5 runs, ms. */
  testMs: number;
  /** Master and workers, KiB. */
  rssKiB: number;
}

export async function nginxCost(ctx: Context): Promise<NginxCost> {
  const { options } = ctx.system.nginx;
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await run(options.bin, nginxArgs(options, 'test'));
    times.push(performance.now() - started);
  }
  const master = Number((await readFile(options.pidFile ?? '', 'utf8')).trim());
  let rssKiB = 0;
  for (const pid of await processTree(master)) rssKiB += (await sampleProcess(pid)).rssKiB;
  return { fileBytes: (await stat(ctx.system.gateway.file)).size, testMs: median(times), rssKiB };
}
