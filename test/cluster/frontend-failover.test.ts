import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { figure } from './cluster.js';
import { clusterSuite } from './checks.js';
import { DEAD, deathRun, DEATHS, settled, VIEWS, type DeathRun } from './failover.js';

/**
 * Issue 21 on the reference cluster, each fault once (scripts/failover-repeat.sh runs each 20 times): node-front-2
 * cut off, killed, or its nginx alone dead leaves the public name within 3 s in the registry, in `rundock dns` and at
 * the public zone's primary (Knot); it is back within 3 s of its nginx answering again; node-front-1, the last live
 * frontend, is never withdrawn meanwhile.
 *
 * The 3 s is the design's bound, not this machine's speed: the live frontend revokes the lease of a peer whose nginx
 * failed two probes 250 ms apart once etcd says less than a second of it is left (out about 0.6-1.3 s after the
 * fault); failing that, the self-lease lives 2 s after its last renewal (500 ms before the fault at worst) and etcd
 * checks for expired leases every 500 ms; two failed nginx checks 500 ms apart revoke it at once; and `rundock dns`
 * updates Knot within ~100 ms of the registry. What is left of the 3 s is the margin for this loaded machine (the
 * views are sampled every 50-100 ms, and each sample counts when it came back).
 */
clusterSuite();

const BOUND_MS = 3000;
const line = (r: DeathRun, what: 'gone' | 'back'): string => VIEWS.map((v) => `${v} ${r[what][v]} ms`).join(', ');

describe('a frontend leaves the public name within 3 s and comes back', () => {
  for (const fault of DEATHS) {
    it(`${fault.name}: out of the registry, rundock dns and Knot within 3 s, back within 3 s of nginx answering`, async () => {
      await settled();
      const r = await deathRun(fault);
      figure(
        `${DEAD} ${fault.name}: out of ${line(r, 'gone')} after the fault; back in ${line(r, 'back')} after its nginx answered; the live frontend withdrawn ${r.liveWithdrawn.length} times`,
      );
      for (const v of VIEWS) {
        assert.ok(r.gone[v] <= BOUND_MS, `${v}: out ${r.gone[v]} ms after the fault`);
        assert.ok(r.back[v] <= BOUND_MS, `${v}: back ${r.back[v]} ms after nginx answered`);
      }
      assert.deepEqual(r.liveWithdrawn, [], 'the last live frontend stays in the public name');
    });
  }
});
