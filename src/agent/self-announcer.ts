/**
 * A frontend's self-announcement (`--announce-self NAME`): its public address as `NAME.<domain>`, so that the public
 * name (and the public zone that follows it, dns/public-zone/) holds live frontends only. The record is kept while
 * the frontend's nginx answers (`--announce-self-check URL`, self-check.ts; without one, while the agent lives), on
 * a short lease of its own with etcd (registry/etcd-self-record.ts). docs/records.md, "The self-announcement".
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PeerProbe } from '../registry/etcd-peer-silence.js';
import type { SelfRecord, SelfRecordListener, SelfRecordStatus } from '../registry/etcd-self-record.js';
import { Condition } from '../shared/condition.js';
import { checkOnce, PEER_CHECK_TIMEOUT_MS, peerUrl, SelfCheck, type SelfCheckStatus } from './self-check.js';

/** The self-announcement's metrics, on the agent's registry (docs/records.md). */
export class SelfAnnouncerMetrics {
  readonly announced: Gauge;
  /** Read when scraped: whether the record is in the registry now. */
  announcedNow: () => boolean = () => false;
  readonly checks: Counter;
  readonly leaseLost: Counter;
  readonly peersWithdrawn: Counter;

  constructor(registers: Registry) {
    const r = [registers];
    const announcedNow = (): boolean => this.announcedNow();
    this.announced = new Gauge({
      name: 'rundock_agent_self_announced',
      help: '1 while this frontend announces itself (--announce-self), else 0',
      registers: r,
      collect() {
        this.set(announcedNow() ? 1 : 0);
      },
    });
    this.checks = new Counter({
      name: 'rundock_agent_self_check_changes_total',
      help: "Changes of the self-check's verdict on this frontend's nginx, by verdict (up, down)",
      labelNames: ['verdict'],
      registers: r,
    });
    this.leaseLost = new Counter({
      name: 'rundock_agent_self_lease_lost_total',
      help: 'Short self-announcement leases etcd let expire (a new one is granted at once)',
      registers: r,
    });
    this.peersWithdrawn = new Counter({
      name: 'rundock_agent_peer_withdrawals_total',
      help:
        "Other frontends' self-announcements this agent withdrew, by why: term (not put again in time after a new etcd " +
        'leader), silent (nginx not answering and no renewal for over a second)',
      labelNames: ['by'],
      registers: r,
    });
  }
}

export interface SelfAnnouncerOptions {
  /** The record's key and value (registry/path.ts, record.ts). */
  key: string;
  value: string;
  /** Makes the record's keeper, given the listener it reports to and, with a check, how to ask a peer's nginx. */
  record: (listener: SelfRecordListener, probe: PeerProbe | undefined) => SelfRecord;
  /** nginx's address to check; undefined: announced while the agent lives. */
  checkUrl?: URL | undefined;
  metrics: SelfAnnouncerMetrics;
  log: Logger;
}

/** What GET /status shows under `self`. */
export interface SelfAnnouncerStatus extends SelfRecordStatus {
  key: string;
  check?: SelfCheckStatus | undefined;
  registry: ReturnType<Condition['status']>;
}

/** Keeps the self-announcement while nginx answers; see the module comment. */
export class SelfAnnouncer {
  private readonly record: SelfRecord;
  private readonly check: SelfCheck | undefined;
  /** etcd out of reach for the self-announcement: one warning, a line a minute, one recovery line; /readyz. */
  private readonly registry: Condition;

  constructor(private readonly o: SelfAnnouncerOptions) {
    const { log, metrics, checkUrl } = o;
    this.registry = new Condition(log, 'self-announcement registry', 'the record expires with its short lease');
    const probe: PeerProbe | undefined =
      checkUrl && ((host) => checkOnce(peerUrl(checkUrl, host), PEER_CHECK_TIMEOUT_MS));
    this.record = o.record(
      {
        announced: (lease) => (this.registry.recovered(), log.debug({ lease }, 'self announced')),
        lost: (lease) => (
          metrics.leaseLost.inc(),
          log.warn({ lease }, 'self-announcement lease expired; announced again')
        ),
        failed: (error) => this.registry.failed(error),
        peerProbeFailed: (error) => log.debug({ err: error }, "peers' leases not asked; they expire by themselves"),
        peerWithdrawn: (key, why) => {
          metrics.peersWithdrawn.inc({ by: why.by });
          if (why.by === 'term')
            log.warn({ key }, 'withdrew a frontend not seen alive after etcd elected a new leader');
          else
            log.warn({ key, probe: why.probe }, `withdrew a frontend whose nginx and lease fell silent (${why.probe})`);
        },
      },
      probe,
    );
    metrics.announcedNow = () => this.record.status().announced;
    this.check =
      checkUrl === undefined ? undefined : new SelfCheck(checkUrl, (up, reason) => this.nginxChanged(up, reason));
  }

  /** Announces at once without a check; with one, after nginx's first answer. */
  start(): void {
    if (this.check === undefined) this.record.announce(this.o.key, this.o.value);
    else this.check.start();
  }

  /** Stops checking and keeping the record; with `withdraw` it is deleted first (bounded by `signal`). */
  async stop(withdraw: boolean, signal?: AbortSignal): Promise<void> {
    this.check?.stop();
    await this.record.close(withdraw, signal);
  }

  status(): SelfAnnouncerStatus {
    return { key: this.o.key, ...this.record.status(), check: this.check?.status(), registry: this.registry.status() };
  }

  /** Why the self-announcement may not be current (GET /readyz). */
  notReady(): string | undefined {
    return this.registry.notReady();
  }

  private nginxChanged(up: boolean, reason: string | undefined): void {
    this.o.metrics.checks.inc({ verdict: up ? 'up' : 'down' });
    const url = this.o.checkUrl?.href;
    if (up) {
      this.o.log.info({ url }, 'nginx answers: self-announcement back');
      this.record.announce(this.o.key, this.o.value);
    } else {
      this.o.log.warn({ url, reason }, `nginx does not answer (${reason ?? 'no answer'}): self-announcement withdrawn`);
      this.record.withdraw();
    }
  }
}
