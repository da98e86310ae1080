/**
 * Which certificate each routed hostname is served with, on one gateway: one the operator brought (`--certificate`,
 * a pair of files, its names from the certificate itself; an exact name before a wildcard) wins; else the one ACME
 * keeps in the store; else none, and the hostname is served over plain HTTP alone. Every certificate is checked
 * (x509.ts) and installed (cert-files.ts) before nginx is told about it. Also runs the ACME manager and its challenge
 * listener, and reports each hostname's certificate in status, readiness and `rundock_gateway_certificate_expiry_seconds`.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { isWildcard } from '../shared/route-address.js';
import { messageOf } from '../shared/errors.js';
import { AcmeManager, type AcmeHostStatus } from './acme/manager.js';
import { configureAcmeHttp, type AcmeSettings } from './acme/order.js';
import type { RetryPolicy } from './acme/schedule.js';
import type { AcmeStore } from './acme/store.js';
import { startChallengeServer, type ChallengeServer } from './acme/challenge-server.js';
import { CertificateFiles } from './cert-files.js';
import type { GatewayMetrics } from './metrics.js';
import type { ServedCertificate } from './render-routes.js';
import type { RouteTable } from './route-table.js';
import { covers, inspectCertificate, type CertificateFacts } from './x509.js';

/** A certificate the operator brings: its chain (leaf first) and key, PEM files. */
export interface CertificatePair {
  readonly certFile: string;
  readonly keyFile: string;
}

/** The gateway's HTTPS settings. */
export interface TlsOptions {
  /** `--certificate CERT,KEY`: certificates brought by the operator, read again at every render. */
  readonly certificates: readonly CertificatePair[];
  /** Where the certificates nginx reads are installed (0700). */
  readonly directory: string;
  /** Automatic HTTPS; without it only brought certificates are served. The gateway closes the store at its stop. */
  readonly acme?:
    | (AcmeSettings & {
        readonly store: AcmeStore;
        readonly retry?: RetryPolicy | undefined;
        readonly lockRetryMs?: number | undefined;
      })
    | undefined;
}

/** One routed hostname's certificate, as /status shows it (never the key). */
export interface CertificateStatus extends Partial<Omit<AcmeHostStatus, 'hostname' | 'state'>> {
  readonly hostname: string;
  /** `brought` (--certificate), `acme`, or `none` (plain HTTP). */
  readonly source: 'brought' | 'acme' | 'none';
  readonly state: AcmeHostStatus['state'] | 'brought' | 'needs a brought certificate' | 'none';
}

interface Chosen {
  readonly served: ServedCertificate;
  readonly source: 'brought' | 'acme';
  readonly facts: CertificateFacts;
}

interface Brought extends CertificatePair {
  readonly chain: string;
  readonly key: string;
  readonly facts: CertificateFacts;
}

/** Certificates for a gateway's routes; see the module comment. */
export class GatewayTls {
  private readonly files: CertificateFiles;
  private acme: AcmeManager | undefined;
  private challenges: ChallengeServer | undefined;
  private chosen = new Map<string, Chosen>();
  private hostnames: readonly string[] = [];
  private readonly broughtErrors = new Map<string, string>();
  private checked = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: TlsOptions,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
    private readonly onChange: () => void,
  ) {
    this.files = new CertificateFiles(o.directory);
  }

  /** Whether the gateway serves HTTPS at all: ACME, or certificates brought. */
  get https(): boolean {
    return this.o.acme !== undefined || this.o.certificates.length > 0;
  }

  /** The challenge listener's port (with ACME), for nginx's text. */
  get challengePort(): number | undefined {
    return this.challenges?.port;
  }

  async start(): Promise<void> {
    const acme = this.o.acme;
    if (acme !== undefined) {
      configureAcmeHttp(acme);
      this.challenges = await startChallengeServer((token) => acme.store.keyAuthorization(token));
      const { store, retry, lockRetryMs } = acme;
      const log = this.log.child({ acme: acme.directory });
      const o = { store, settings: acme, metrics: this.metrics, log, onChange: this.onChange };
      this.acme = new AcmeManager({ ...o, retry, lockRetryMs });
    }
    // Brought files replaced in place (certbot) and certificates expiring are noticed within a minute.
    this.timer = setInterval(() => void this.recheck(), 60_000);
    this.timer.unref();
  }

  /** The certificate of every hostname of `table` that has a usable one, installed; ACME is told what to order. */
  async prepare(table: RouteTable): Promise<Map<string, ServedCertificate>> {
    this.hostnames = table.hosts.map((h) => h.hostname);
    if (!this.https) return new Map();
    const brought = await this.readBrought();
    const chosen = new Map<string, Chosen>();
    for (const hostname of this.hostnames) {
      const pair =
        brought.find((b) => b.facts.names.includes(hostname)) ?? brought.find((b) => covers(b.facts.names, hostname));
      if (pair !== undefined)
        chosen.set(hostname, await this.install(hostname, pair.facts, pair.chain, pair.key, 'brought'));
      else await this.fromAcme(hostname, chosen);
    }
    this.acme?.want(this.hostnames.filter((h) => !isWildcard(h) && chosen.get(h)?.source !== 'brought'));
    this.chosen = chosen;
    return new Map([...chosen].map(([hostname, c]) => [hostname, c.served]));
  }

  /** nginx reloaded with the last prepared certificates: old files go, the expiry gauge follows. */
  async served(): Promise<void> {
    await this.files.prune([...this.chosen.values()].map((c) => c.served));
    this.metrics.certificateExpiry.reset();
    for (const [hostname, c] of this.chosen)
      this.metrics.certificateExpiry.set({ hostname }, Math.floor(c.facts.notAfter.getTime() / 1000));
  }

  status(): CertificateStatus[] {
    const acme = new Map((this.acme?.status() ?? []).map((s) => [s.hostname, s]));
    return this.hostnames.map((hostname): CertificateStatus => {
      const c = this.chosen.get(hostname);
      if (c?.source === 'brought') {
        const { serial, notAfter } = c.facts;
        return { hostname, source: 'brought', state: 'brought', serial, not_after: notAfter.toISOString() };
      }
      const ordering = acme.get(hostname);
      if (ordering !== undefined) return { ...ordering, source: c === undefined ? 'none' : 'acme' };
      return {
        hostname,
        source: 'none',
        state: isWildcard(hostname) && this.https ? 'needs a brought certificate' : 'none',
      };
    });
  }

  notReady(): string[] {
    return this.acme?.notReady() ?? [];
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.acme?.stop();
    await this.challenges?.close();
    await this.o.acme?.store.close();
  }

  private async fromAcme(hostname: string, chosen: Map<string, Chosen>): Promise<void> {
    const stored = isWildcard(hostname) ? undefined : this.acme?.certificate(hostname);
    if (stored === undefined) return;
    try {
      const facts = inspectCertificate(stored.certificate, stored.key);
      chosen.set(hostname, await this.install(hostname, facts, stored.certificate, stored.key, 'acme'));
    } catch (error) {
      this.log.warn({ hostname, reason: messageOf(error) }, 'stored certificate unusable; served over plain HTTP');
    }
  }

  private async install(
    hostname: string,
    facts: CertificateFacts,
    chain: string,
    key: string,
    source: Chosen['source'],
  ): Promise<Chosen> {
    return { served: await this.files.install(hostname, facts.fingerprint, chain, key), source, facts };
  }

  /** Every brought pair that is usable now; one warning per pair when it stops being usable, one when it is again. */
  private async readBrought(): Promise<Brought[]> {
    const usable: Brought[] = [];
    for (const pair of this.o.certificates) {
      const id = `${pair.certFile},${pair.keyFile}`;
      try {
        const [chain, key] = await Promise.all([readFile(pair.certFile, 'utf8'), readFile(pair.keyFile, 'utf8')]);
        usable.push({ ...pair, chain, key, facts: inspectCertificate(chain, key) });
        if (this.broughtErrors.delete(id))
          this.log.info({ certificate: pair.certFile }, 'brought certificate usable again');
      } catch (error) {
        const reason = messageOf(error);
        if (this.broughtErrors.get(id) !== reason)
          this.log.warn(
            { certificate: pair.certFile, key: pair.keyFile, reason },
            'brought certificate unusable; its names fall back to ACME or plain HTTP',
          );
        this.broughtErrors.set(id, reason);
      }
    }
    return usable;
  }

  /** Renders again when a brought file changed or a served certificate expired. */
  private async recheck(): Promise<void> {
    const stats = await Promise.all(
      this.o.certificates
        .flatMap((p) => [p.certFile, p.keyFile])
        .map((f) =>
          stat(f).then(
            (s) => `${s.mtimeMs}:${s.size}`,
            () => '-',
          ),
        ),
    );
    const expired = [...this.chosen.values()].some((c) => c.facts.notAfter.getTime() <= Date.now());
    const now = stats.join();
    if (now !== this.checked || expired) {
      this.checked = now;
      this.onChange();
    }
  }
}
