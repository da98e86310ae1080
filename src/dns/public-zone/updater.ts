/**
 * Keeps the public names it owns (`--public-name www.example.com=www`) at the public zone's primary equal to the
 * frontends that announce themselves (`--announce-self www`: `/skydns/<domain>/www/<host>`), by RFC 2136 updates
 * with TSIG (nsupdate.ts). A ZoneSink of the domain's feed: a change of the frontends is sent at once, one update at
 * a time, the newest wanted addresses winning; a failed update is retried with backoff until the zone holds them,
 * which also converges the zone after an outage of the primary. It never empties a name: with no live frontend
 * left, the name keeps its last addresses (a stale address serves more users than none). docs/gateway.md.
 */
import type { Logger } from 'pino';
import { isIP } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FeedState, ZoneSink } from '../../registry/feed.js';
import { servicePrefix } from '../../registry/path.js';
import { decodeRecord } from '../../registry/record.js';
import { backoffDelay } from '../../shared/backoff.js';
import { Condition, type ConditionStatus } from '../../shared/condition.js';
import { PublicZoneError, runNsupdate, updateScript, type Addresses, type UpdateServer } from './nsupdate.js';
import type { TsigKey } from './tsig-key.js';

/** One public name and the self-announced name whose frontends it follows. */
export interface PublicName {
  /** e.g. `www.example.com` (lowercase, no trailing dot). */
  name: string;
  /** e.g. `www`: the frontends' `--announce-self`. */
  self: string;
}

export interface PublicZoneOptions {
  names: readonly PublicName[];
  server: UpdateServer;
  key: TsigKey;
  /** TTL of the public records, seconds. */
  ttl: number;
}

export interface UpdaterOptions extends PublicZoneOptions {
  domain: string;
  log: Logger;
  metricsRegistry?: Registry | undefined;
  /** Sends one script (default: nsupdate with the key file). */
  send?: (script: string) => Promise<void>;
}

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 5000;

/** What /status shows for one public name. */
export interface PublicNameStatus {
  name: string;
  /** The live frontends' addresses. */
  wanted: string[];
  /** What the primary last took from this process (absent before its first update). */
  sent?: string[] | undefined;
}

/** The updater; see the module comment. */
export class PublicZoneUpdater implements ZoneSink {
  private readonly view = new Map<string, string>();
  private readonly sent = new Map<string, string>();
  private readonly condition: Condition;
  private readonly updates: Counter;
  private loaded = false;
  private running = false;
  private again = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly emptyWarned = new Set<string>();

  constructor(private readonly o: UpdaterOptions) {
    const { server, key } = o;
    this.condition = new Condition(o.log, 'public zone', 'updates are retried until it takes them');
    const registers = o.metricsRegistry === undefined ? [] : [o.metricsRegistry];
    this.updates = new Counter({
      name: 'rundock_dns_public_updates_total',
      help: "RFC 2136 updates of the public names sent to the public zone's primary, by outcome (ok, error)",
      labelNames: ['outcome'],
      registers,
    });
    const synced = (): number => (this.pending().length === 0 ? 1 : 0);
    new Gauge({
      name: 'rundock_dns_public_zone_synced',
      help: 'Whether the primary holds the live frontends for every public name (1) or an update is pending (0)',
      registers,
      collect() {
        this.set(synced());
      },
    });
    o.log.info(
      { names: o.names.map((n) => `${n.name}=${n.self}`), server: `${server.host}:${server.port}`, key: key.name },
      'public zone: keeping the public names at the primary',
    );
  }

  /** The feed's state: nothing is sent before its first load (an empty view is not "no frontend"). */
  feedState(state: FeedState): void {
    if (state !== 'watching' || this.loaded) return;
    this.loaded = true;
    this.kick();
  }

  replaceAll(entries: Iterable<[string, string]>): void {
    this.view.clear();
    for (const [key, value] of entries) if (this.owns(key)) this.view.set(key, value);
    this.kick();
  }

  put(key: string, value: string): void {
    if (!this.owns(key)) return;
    this.view.set(key, value);
    this.kick();
  }

  delete(key: string): void {
    if (this.view.delete(key)) this.kick();
  }

  status(): { server: string; key: string; ttl: number; names: PublicNameStatus[]; primary: ConditionStatus } {
    const names = this.o.names.map((n) => ({
      name: n.name,
      wanted: flat(this.wanted(n)),
      sent: this.sent.has(n.name) ? (JSON.parse(this.sent.get(n.name) ?? '[]') as string[]) : undefined,
    }));
    const { host, port } = this.o.server;
    return {
      server: `${host}:${port}`,
      key: this.o.key.name,
      ttl: this.o.ttl,
      names,
      primary: this.condition.status(),
    };
  }

  /** Why the public zone may not hold the live frontends (GET /readyz). */
  notReady(): string | undefined {
    return this.condition.notReady();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  private owns(key: string): boolean {
    return this.o.names.some((n) => key.startsWith(servicePrefix(this.o.domain, n.self)));
  }

  /** The addresses of the frontends announced under `n.self`: every record at or below `<self>.<domain>`. */
  private wanted(n: PublicName): Addresses {
    const prefix = servicePrefix(this.o.domain, n.self);
    const found = new Set<string>();
    for (const [key, value] of this.view) {
      const decoded = key.startsWith(prefix) ? decodeRecord(value) : undefined;
      const host = decoded?.ok ? decoded.record.host : undefined;
      if (host !== undefined && isIP(host) !== 0) found.add(host);
    }
    const sorted = [...found].sort();
    return { a: sorted.filter((h) => isIP(h) === 4), aaaa: sorted.filter((h) => isIP(h) === 6) };
  }

  /** The names whose wanted addresses the primary was not given yet (none wanted: nothing to send). */
  private pending(): PublicName[] {
    return this.o.names.filter((n) => {
      const wanted = flat(this.wanted(n));
      return wanted.length > 0 && this.sent.get(n.name) !== JSON.stringify(wanted);
    });
  }

  private kick(): void {
    if (!this.loaded || this.stopped || this.retryTimer !== undefined) return;
    if (this.running) {
      this.again = true; // a change while sending: look again once this round ends
      return;
    }
    this.running = true;
    void this.sendPending().finally(() => {
      this.running = false;
      if (!this.again) return;
      this.again = false;
      this.kick();
    });
  }

  /** Sends the pending names one by one; on a failure, tries again after a backoff. */
  private async sendPending(): Promise<void> {
    this.warnEmpty();
    for (let next = this.pending()[0]; next !== undefined && !this.stopped; next = this.pending()[0]) {
      const addresses = this.wanted(next);
      const started = Date.now();
      try {
        await this.send(updateScript(this.o.server, next.name, this.o.ttl, addresses));
      } catch (error) {
        this.updates.inc({ outcome: 'error' });
        this.condition.failed(this.explained(error, next.name), { name: next.name });
        const delay = backoffDelay(this.failures++, RETRY_FIRST_MS, RETRY_MAX_MS);
        this.retryTimer = setTimeout(() => ((this.retryTimer = undefined), this.kick()), delay);
        return;
      }
      this.failures = 0;
      this.updates.inc({ outcome: 'ok' });
      this.condition.recovered();
      this.sent.set(next.name, JSON.stringify(flat(addresses)));
      this.o.log.info({ name: next.name, addresses: flat(addresses), ms: Date.now() - started }, 'public zone updated');
    }
  }

  /** A refusal said in the words that name what to fix (the key file, the primary's ACL). */
  private explained(error: unknown, name: string): unknown {
    if (!(error instanceof PublicZoneError)) return error;
    const { server, key } = this.o;
    const primary = `the primary ${server.host}:${server.port}`;
    if (error.failure === 'key')
      return `${primary} refused the TSIG key "${key.name}" (${error.message}): --tsig-key-file ${key.file} must hold the key it has`;
    if (error.failure === 'refused')
      return `${primary} refused the update of ${name} (${error.message}): its ACL must let key "${key.name}" update the name`;
    return `${primary} did not take the update of ${name}: ${error.message}`;
  }

  private send(script: string): Promise<void> {
    return this.o.send !== undefined ? this.o.send(script) : runNsupdate(script, { keyFile: this.o.key.file });
  }

  /** One line when a name has no live frontend left (and one when it has again): it keeps its last addresses. */
  private warnEmpty(): void {
    for (const n of this.o.names) {
      const empty = flat(this.wanted(n)).length === 0;
      if (empty && !this.emptyWarned.has(n.name)) {
        this.emptyWarned.add(n.name);
        this.o.log.warn(
          { name: n.name, self: n.self },
          'public zone: no live frontend announces this name; it keeps its last addresses',
        );
      } else if (!empty) this.emptyWarned.delete(n.name);
    }
  }
}

function flat(a: Addresses): string[] {
  return [...a.a, ...a.aaaa];
}
