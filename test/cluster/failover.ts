/**
 * A frontend's failover on the reference cluster (issue 21, docs/RELIABILITY.md): the faults that must take a
 * frontend out of the public name within 3 s, the faults that must take none out, and the three views of the name
 * sampled meanwhile: the registry (www's records in etcd), `rundock dns` (www.s.prod.example.com) and the public
 * zone's primary, Knot (www.example.com). frontend-failover.test.ts runs each fault once (CI), failover-repeat.ts
 * each 20 times (by hand).
 *
 * The faults hit node-front-2: node-front-1 runs the cluster's one `rundock dns`, the one that updates Knot.
 */
import {
  cluster,
  DOMAIN,
  etcdKeys,
  etcdLeader,
  etcdTerm,
  etcdWatch,
  httpGet,
  HOSTS,
  KNOT,
  PRIVATE,
  PUBLIC,
  resolveA,
  run,
  SKYDNS,
  sleep,
  waitFor,
  type Frontend,
} from './cluster.js';

export const DEAD: Frontend = 'node-front-2';
export const LIVE: Frontend = 'node-front-1';
export const PUBLIC_NAME = 'www.example.com';
const BOTH = [PUBLIC['node-front-1'], PUBLIC['node-front-2']].sort();
const ONLY_LIVE = [PUBLIC[LIVE]];
/** `rundock dns`'s readiness on LIVE: 503 while it answers from its last view, its feed not following etcd. */
const DNS_READY = 'http://127.0.0.1:9477/readyz';
/** The registry read through the members that stay reachable whatever happens to node-front-2. */
const REGISTRY_ETCD = [LIVE, 'node-back-1' as const].map((h) => `https://${PRIVATE[h]}:2379`);

export type View = 'registry' | 'dns' | 'knot';
export const VIEWS: readonly View[] = ['registry', 'dns', 'knot'];

/** The addresses a view gives the public name now; undefined when it does not answer. */
const read: Record<View, () => Promise<string[] | undefined>> = {
  registry: async () => {
    const keys = await etcdKeys(`${SKYDNS}/www/`, REGISTRY_ETCD);
    return keys?.map((k) => PUBLIC[k.slice(k.lastIndexOf('/') + 1) as Frontend] ?? k).sort();
  },
  dns: async () => {
    const a = await resolveA(`www.${DOMAIN}`);
    return Array.isArray(a) ? a : undefined;
  },
  knot: async () => {
    const a = await resolveA(PUBLIC_NAME, 800, KNOT);
    return Array.isArray(a) ? a : undefined;
  },
};

interface Sample {
  at: number;
  addresses: string[];
}

/** Every view read in a loop of its own until `stop()`; each answer kept with the time it came. */
export class Sampler {
  readonly samples: Record<View, Sample[]> = { registry: [], dns: [], knot: [] };
  private running = true;
  private readonly loops: Promise<void>[];
  constructor() {
    this.loops = VIEWS.map(async (view) => {
      while (this.running) {
        const addresses = await read[view]().catch(() => undefined);
        if (addresses !== undefined) this.samples[view].push({ at: Date.now(), addresses });
        await sleep(view === 'registry' ? 100 : 50);
      }
    });
  }
  /** When VIEW first gave exactly ADDRESSES at or after `from`; waits up to `timeoutMs` for it. */
  async first(view: View, addresses: readonly string[], from: number, timeoutMs = 15_000): Promise<number> {
    const hit = (): Sample | undefined =>
      this.samples[view].find((s) => s.at >= from && s.addresses.join() === addresses.join());
    await waitFor(() => hit() !== undefined, timeoutMs, 20, `${view} answering ${addresses.join(',')}`);
    return hit()?.at ?? NaN;
  }
  /** The answers (view and time) between `from` and `to` that miss an address of ADDRESSES. */
  missing(addresses: readonly string[], from: number, to = Date.now()): string[] {
    return VIEWS.flatMap((view) =>
      this.samples[view]
        .filter((s) => s.at >= from && s.at <= to && addresses.some((a) => !s.addresses.includes(a)))
        .map((s) => `${view} +${s.at - from}ms: [${s.addresses.join(',')}]`),
    );
  }
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

/** Waits until every view gives both frontends and etcd's members follow one leader. */
export async function settled(timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => (await etcdTerm()) !== undefined, timeoutMs, 200, 'every etcd member under one leader');
  // Following etcd again, not answering from its last view (which may hold the same records) after an earlier fault.
  await waitFor(
    async () => (await run('nsenter', [`--net=/var/run/netns/${LIVE}`, 'curl', '-sf', DNS_READY], 3000)).code === 0,
    timeoutMs,
    200,
    `rundock dns on ${LIVE} ready (its /readyz)`,
  );
  for (const view of VIEWS)
    await waitFor(
      async () => (await read[view]().catch(() => undefined))?.join() === BOTH.join(),
      timeoutMs,
      100,
      `${view} with both frontends`,
    );
}

/** A fault that must take node-front-2 out of the public name, and its repair. */
export interface DeathFault {
  name: string;
  inject(): Promise<unknown>;
  heal(): Promise<unknown>;
}

export const DEATHS: readonly DeathFault[] = [
  {
    name: 'link down',
    inject: () => cluster('link', DEAD, 'down'),
    heal: () => cluster('link', DEAD, 'up'),
  },
  {
    // nginx's master SIGKILLed would leave its workers serving: nginx gets SIGTERM (its fast stop) instead.
    name: 'agent + gateway killed, nginx stopped',
    inject: () =>
      Promise.all([
        cluster('kill', 'agent', DEAD),
        cluster('kill', 'gateway', DEAD),
        cluster('stop', 'nginx', DEAD, 'TERM'),
      ]),
    heal: async () => {
      await Promise.all([cluster('start', 'agent', DEAD), cluster('start', 'gateway', DEAD)]);
      await cluster('start', 'nginx', DEAD);
    },
  },
  {
    name: 'nginx alone dead',
    inject: () => cluster('stop', 'nginx', DEAD, 'TERM'),
    heal: () => cluster('start', 'nginx', DEAD),
  },
];

export interface DeathRun {
  fault: string;
  /** ms from the fault to each view answering the live frontend alone. */
  gone: Record<View, number>;
  /** ms from node-front-2's nginx answering again to each view answering both frontends. */
  back: Record<View, number>;
  /** Answers that missed the live frontend, and etcd's deletes of its record (must be none). */
  liveWithdrawn: string[];
}

/** One death of node-front-2 and its return, measured; leaves the cluster settled. */
export async function deathRun(fault: DeathFault): Promise<DeathRun> {
  const watch = etcdWatch(`${SKYDNS}/www/`);
  const sampler = new Sampler();
  await sleep(300); // a few answers before the fault
  const t0 = Date.now();
  try {
    await fault.inject();
    const goneAt = await Promise.all(VIEWS.map((v) => sampler.first(v, ONLY_LIVE, t0)));
    await fault.heal();
    await waitFor(
      () =>
        httpGet(PUBLIC[DEAD], '/', undefined, 80, 500).then(
          () => true,
          () => false,
        ),
      60_000,
      20,
    );
    const answering = Date.now();
    const backAt = await Promise.all(VIEWS.map((v) => sampler.first(v, BOTH, answering, 30_000)));
    const deletes = (await watch.stop()).filter((e) => e.type === 'DELETE' && e.key.endsWith(`/${LIVE}`));
    return {
      fault: fault.name,
      gone: Object.fromEntries(VIEWS.map((v, i) => [v, (goneAt[i] ?? NaN) - t0])) as Record<View, number>,
      back: Object.fromEntries(VIEWS.map((v, i) => [v, (backAt[i] ?? NaN) - answering])) as Record<View, number>,
      liveWithdrawn: [...sampler.missing(ONLY_LIVE, t0), ...deletes.map((e) => `etcd DELETE ${e.key}`)],
    };
  } finally {
    await sampler.stop();
    await watch.stop();
    await settled();
  }
}

/** A fault that must take no frontend out: it is injected, lasts, and is repaired within `run`. */
export interface HarmlessFault {
  name: string;
  run(i: number): Promise<unknown>;
}

export const HARMLESS: readonly HarmlessFault[] = [
  {
    name: 'etcd leader stopped (3 s)',
    run: async () => {
      const leader = await etcdLeader();
      await cluster('stop', 'etcd', leader);
      await sleep(3000);
      await cluster('start', 'etcd', leader);
    },
  },
  {
    name: 'one etcd member restarted',
    run: async (i) => {
      const host = HOSTS[i % HOSTS.length] ?? 'node-back-1';
      await cluster('stop', 'etcd', host);
      await cluster('start', 'etcd', host);
    },
  },
  {
    name: '2 s delay between the frontends (5 s)',
    run: async () => {
      await cluster('delay', 'on', '2000');
      try {
        await sleep(5000);
      } finally {
        await cluster('delay', 'off');
      }
    },
  },
  {
    name: "a frontend's agent stopped 1 s (SIGSTOP/SIGCONT)",
    run: async (i) => {
      const host = i % 2 === 0 ? DEAD : LIVE;
      await cluster('signal', 'agent', host, 'STOP');
      await sleep(1000);
      await cluster('signal', 'agent', host, 'CONT');
    },
  },
];

/** One harmless fault, watched until 3 s after its repair: the answers and deletes that withdrew a frontend. */
export async function harmlessRun(fault: HarmlessFault, i: number): Promise<string[]> {
  const watch = etcdWatch(`${SKYDNS}/www/`);
  const sampler = new Sampler();
  await sleep(300);
  const t0 = Date.now();
  try {
    await fault.run(i);
    await sleep(3000);
    const deletes = (await watch.stop()).filter((e) => e.type === 'DELETE');
    return [...sampler.missing(BOTH, t0), ...deletes.map((e) => `etcd DELETE ${e.key}`)];
  } finally {
    await sampler.stop();
    await watch.stop();
    await settled();
  }
}
