/**
 * Issue 21's repeat runs on the reference cluster (scripts/failover-repeat.sh runs this; docs/RELIABILITY.md has the
 * table): each fault that must take node-front-2 out of the public name N times (time from the fault until the
 * registry, `rundock dns` and Knot answer without it; time from its nginx answering again until they answer it
 * again), and each fault that must take no frontend out N times (answers or etcd deletes that withdrew one).
 *
 *   node --import tsx test/cluster/failover-repeat.ts [N]     (the cluster must be up)
 */
import { deathRun, DEATHS, HARMLESS, harmlessRun, settled, VIEWS, type DeathRun, type View } from './failover.js';

const N = Number(process.argv[2] ?? 20);

/** The nearest-rank percentile P of VALUES (with 20 runs, p99 is the worst run). */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
const stats = (values: readonly number[]): string =>
  `${percentile(values, 50)} / ${percentile(values, 99)} / ${Math.max(...values)}`;
const log = (text: string): boolean => process.stderr.write(`${text}\n`);

async function deaths(): Promise<string[]> {
  const rows: string[] = [];
  for (const fault of DEATHS) {
    const runs: DeathRun[] = [];
    for (let i = 1; i <= N; i++) {
      const r = await deathRun(fault);
      runs.push(r);
      log(
        `${fault.name} #${i}: gone ${JSON.stringify(r.gone)} back ${JSON.stringify(r.back)} live withdrawn ${r.liveWithdrawn.join('; ') || 0}`,
      );
    }
    const of = (what: 'gone' | 'back', v: View): number[] => runs.map((r) => r[what][v]);
    const cols = VIEWS.map((v) => stats(of('gone', v)));
    const back = stats(runs.map((r) => Math.max(...VIEWS.map((v) => r.back[v]))));
    const withdrawn = runs.reduce((n, r) => n + r.liveWithdrawn.length, 0);
    rows.push(`| ${fault.name} | ${N} | ${cols.join(' | ')} | ${back} | ${withdrawn} |`);
  }
  return rows;
}

async function harmless(): Promise<string[]> {
  const rows: string[] = [];
  for (const fault of HARMLESS) {
    let [runsWithdrawing, withdrawals] = [0, 0];
    for (let i = 1; i <= N; i++) {
      const found = await harmlessRun(fault, i);
      if (found.length > 0) runsWithdrawing++;
      withdrawals += found.length;
      log(`${fault.name} #${i}: ${found.length === 0 ? 'no withdrawal' : found.join('; ')}`);
    }
    rows.push(`| ${fault.name} | ${N} | ${runsWithdrawing} | ${withdrawals} |`);
  }
  return rows;
}

await settled();
const started = Date.now();
const deathRows = await deaths();
const harmlessRows = await harmless();
process.stdout.write(
  [
    `node-front-2 out of the public name (ms, p50 / p99 / max over ${N} runs; from the fault):`,
    '',
    '| fault | runs | registry (etcd) | rundock dns | Knot (www.example.com) | back in, all three, after nginx answers | live frontend withdrawn |',
    '|---|---|---|---|---|---|---|',
    ...deathRows,
    '',
    `No frontend may leave (${N} runs each; a withdrawal is an etcd delete of a www record, or an answer of the registry, rundock dns or Knot without a frontend, from the fault until 3 s after its repair):`,
    '',
    '| fault | runs | runs with a withdrawal | withdrawals |',
    '|---|---|---|---|',
    ...harmlessRows,
    '',
    `(${Math.round((Date.now() - started) / 1000)} s)`,
    '',
  ].join('\n'),
);
