/**
 * Turns what etcd3/grpc report for TLS and auth failures into messages that name the problem and the setting to
 * check. grpc reports a failed handshake as `14 UNAVAILABLE: No connection established. Last error: <openssl text>`,
 * exactly as it reports an etcd that is down, so the text is what tells them apart.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RundockError } from '../shared/errors.js';
import type { EtcdConnection } from './etcd-connection.js';

/**
 * etcd refused rundock's TLS or credentials (or rundock refused etcd's certificate). Retryable like an unreachable
 * etcd: nothing is lost, the agent keeps its records pending and its containers untouched, and a fixed etcd (or a
 * restarted rundock with fixed settings) goes on. `kind` says which setting to look at.
 */
export class EtcdAccessError extends RundockError {
  readonly retryable = true;

  constructor(
    readonly kind: 'tls' | 'auth',
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(kind === 'tls' ? 'RUNDOCK_E_ETCD_TLS' : 'RUNDOCK_E_ETCD_AUTH', message, options);
    this.name = 'EtcdAccessError';
  }
}

/** Our side rejected etcd's certificate: openssl's verify texts as Node reports them. */
const SERVER_CERT_REJECTED = [
  'unable to verify the first certificate',
  'self-signed certificate',
  'self signed certificate',
  'unable to get local issuer certificate',
  'unable to get issuer certificate',
  'certificate has expired',
  'certificate is not yet valid',
  'does not match certificate',
  'certificate signature failure',
  'ERR_TLS_CERT_ALTNAME_INVALID',
];
/** etcd's side rejected our certificate (or its absence): TLS alerts it sent. */
const CLIENT_CERT_REJECTED =
  /alert (bad certificate|certificate required|certificate expired|unknown ca|certificate unknown|certificate revoked|unsupported certificate)/i;

/**
 * The TLS or auth problem behind `error`, as an EtcdAccessError with a clear message; undefined for anything else
 * (an etcd that is down stays a plain unavailability).
 */
export function diagnoseEtcdError(error: unknown, connection: EtcdConnection): EtcdAccessError | undefined {
  if (error instanceof EtcdAccessError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const where = `etcd at ${connection.hosts.join(',')}`;
  const details = { hosts: connection.hosts.join(','), etcd_error: text };
  const tls = (message: string): EtcdAccessError => new EtcdAccessError('tls', message, { cause: error, details });
  const auth = (message: string): EtcdAccessError => new EtcdAccessError('auth', message, { cause: error, details });
  const user = connection.auth?.user;

  const serverReason = SERVER_CERT_REJECTED.find((reason) => text.includes(reason));
  if (serverReason !== undefined) {
    return tls(
      `${where}: TLS certificate verification failed (${serverReason}) — check --etcd-cacert (it must be the CA that signed etcd's --cert-file, and etcd's certificate must name the endpoint's address)`,
    );
  }
  const alert = CLIENT_CERT_REJECTED.exec(text);
  if (alert !== null)
    return tls(
      `${where} rejected the client certificate (TLS alert: ${alert[1]?.toLowerCase()})${clientCertHint(connection)}`,
    );
  if (text.includes('before secure TLS connection was established') || text.includes('wrong version number')) {
    return tls(
      `${where}: the TLS handshake failed (${text.includes('wrong version') ? 'wrong version number' : 'connection closed during the handshake'}) — is etcd serving TLS on this port? Use http:// for a plain etcd`,
    );
  }
  if (text.includes('authentication failed, invalid user ID or password')) {
    return auth(
      `etcd authentication failed for user ${user ?? '(none)'} — check --etcd-user/--etcd-password-file (${where})`,
    );
  }
  if (text.includes('etcdserver: user name is empty') || text.includes('etcdserver: invalid auth token')) {
    return auth(
      `${where} requires authentication — set --etcd-user and --etcd-password-file (or RUNDOCK_ETCD_PASSWORD)`,
    );
  }
  if (text.includes('etcdserver: authentication is not enabled')) {
    return auth(
      `${where} has authentication disabled, but --etcd-user ${user ?? ''} is set — remove --etcd-user or enable auth on etcd`,
    );
  }
  if (text.includes('etcdserver: permission denied')) {
    return auth(
      `etcd user ${user ?? certificateUser(connection)} is not permitted this request (etcdserver: permission denied) — grant its role the prefixes in docs/security.md (${where})`,
    );
  }
  return undefined;
}

/**
 * Who etcd took rundock for without --etcd-user: with --client-cert-auth, the CN of the client certificate
 * (docs/security.md, "Users and roles").
 */
function certificateUser(connection: EtcdConnection): string {
  const certFile = connection.tls?.certFile;
  if (certFile === undefined) return '(none)';
  try {
    const cn = /^CN=(.*)$/m.exec(new X509Certificate(readFileSync(certFile)).subject)?.[1];
    return cn === undefined ? '(none)' : `${cn} (the CN of ${certFile})`;
  } catch {
    return `(the CN of ${certFile})`;
  }
}

/** What to check when etcd rejected our certificate; names an expired or missing certificate outright. */
function clientCertHint(connection: EtcdConnection): string {
  const certFile = connection.tls?.certFile;
  if (certFile === undefined)
    return ' — etcd requires a client certificate (--client-cert-auth): set --etcd-cert and --etcd-key';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(certFile));
  } catch {
    return ` — check --etcd-cert ${certFile}`;
  }
  const now = Date.now();
  if (Date.parse(cert.validTo) < now)
    return `: certificate has expired (${certFile} was valid until ${new Date(cert.validTo).toISOString()}) — renew --etcd-cert`;
  if (Date.parse(cert.validFrom) > now)
    return `: certificate is not yet valid (${certFile} is valid from ${new Date(cert.validFrom).toISOString()}) — check the clock or --etcd-cert`;
  return ` — check that --etcd-cert ${certFile} is signed by the CA in etcd's --trusted-ca-file`;
}

/**
 * Remembers the last diagnosed problem of one client: etcd3 answers later calls with "the circuit breaker is open"
 * for a few seconds after repeated failures, which hides the cause; those get the remembered diagnosis instead.
 */
export class EtcdDiagnoser {
  private last: EtcdAccessError | undefined;

  constructor(private readonly connection: EtcdConnection) {}

  /** The diagnosis of `error` (or the last one, while etcd3's breaker is open); undefined for anything else. */
  diagnose(error: unknown): EtcdAccessError | undefined {
    const found = diagnoseEtcdError(error, this.connection);
    if (found !== undefined) return (this.last = found);
    if (error instanceof Error && /circuit breaker is open|BrokenCircuit/i.test(`${error.name} ${error.message}`))
      return this.last;
    this.last = undefined;
    return undefined;
  }
}
