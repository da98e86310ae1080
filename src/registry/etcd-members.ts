/**
 * One etcd client per member, for requests that must not wait on one slow member: a frontend's self-announcement
 * (etcd-self-lease.ts) lives on a 2 s lease, and a keep-alive that a member forwards to a leader behind a slow link
 * (a 2 s delay between two hosts) would arrive after the lease expired. etcd3 picks one member per call and moves
 * to another only when the call fails; here a call that has not answered within `hedgeMs` is sent to the next
 * member too (a hedged request), and the first answer wins. The member that answered is asked first next time.
 *
 * Every client carries `hasleader` (etcd-client.ts): a member cut off from the others answers "no leader" at once,
 * so a request through it fails fast and the next member is asked without waiting for the hedge.
 */
import { noop } from 'cockatiel';
import type { Etcd3 } from 'etcd3';
import { attemptDeadline } from './etcd-abandon.js';
import { addressOf, etcdClient, hostAddresses } from './etcd-client.js';
import { etcdClientOptions, type EtcdConnection } from './etcd-connection.js';

/** A call made through one member's client. */
export type MemberCall<T> = (client: Etcd3) => Promise<T>;

export interface EtcdMembersOptions {
  /** Deadline of each request to one member, ms. */
  requestTimeoutMs: number;
  /** This host's addresses: a member on one of them is asked first (default: the interfaces' addresses). */
  localAddresses?: ReadonlySet<string>;
}

/** The members of one etcd cluster, each through its own client; see the module comment. */
export class EtcdMembers {
  /** One client per endpoint, the members on this host's addresses first. */
  private readonly clients: Etcd3[];
  private readonly endpoints: string[];
  private preferred = 0;

  constructor(connection: EtcdConnection, o: EtcdMembersOptions) {
    const local = o.localAddresses ?? hostAddresses();
    const isLocal = (url: string): boolean => local.has(addressOf(url.replace(/^[a-z]+:\/\//, '')));
    this.endpoints = [...connection.hosts.filter(isLocal), ...connection.hosts.filter((h) => !isLocal(h))];
    this.clients = this.endpoints.map((host) =>
      etcdClient(
        {
          ...etcdClientOptions({ ...connection, hosts: [host] }),
          dialTimeout: o.requestTimeoutMs,
          // No retries and no circuit breaker: the hedge moves on to the next member at once, and a member that said
          // "no leader" during an election is asked again the moment the election ends (etcd3's breaker would skip
          // it for 5 s).
          faultHandling: { host: () => noop, global: noop },
          // Requests get a deadline; a stream's user bounds it (etcd-self-lease.ts ends each keep-alive stream).
          defaultCallOptions: (context) =>
            context.isStream ? {} : { interceptors: [attemptDeadline(o.requestTimeoutMs)] },
        },
        local,
      ),
    );
  }

  /** The member asked first now (the one that answered last). */
  get first(): string {
    return this.endpoints[this.preferred] ?? '';
  }

  /**
   * `call` through the preferred member; when it has not answered after `hedgeMs`, or failed, through the next one
   * as well, and so on through every member. Resolves with the first answer; rejects with the last error once every
   * member failed. Answers that come after the first are ignored (the call must be safe to make twice).
   */
  async hedged<T>(call: MemberCall<T>, hedgeMs: number): Promise<T> {
    const order = this.clients.map((_, i) => (this.preferred + i) % this.clients.length);
    const { value, index } = await firstAnswer(order, (i) => call(this.clients[i] as Etcd3), hedgeMs);
    this.preferred = index;
    return value;
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}

/**
 * `call(order[0])`, then `call(order[1])` once the first failed or `hedgeMs` passed without an answer, and so on;
 * the first answer and whose it is. Rejects with the last error once every call failed.
 */
export function firstAnswer<T>(
  order: readonly number[],
  call: (index: number) => Promise<T>,
  hedgeMs: number,
): Promise<{ value: T; index: number }> {
  return new Promise((resolve, reject) => {
    let [started, failed, settled] = [0, 0, false];
    let timer: NodeJS.Timeout | undefined;
    const next = (): void => {
      clearTimeout(timer);
      const index = order[started++];
      if (settled || index === undefined) return;
      if (started < order.length) timer = setTimeout(next, hedgeMs);
      call(index).then(
        (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ value, index });
        },
        (error: unknown) => {
          if (settled) return;
          if (++failed < order.length) return next();
          settled = true;
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    };
    if (order.length === 0) reject(new Error('no etcd member to ask'));
    else next();
  });
}
