/**
 * The frontend's check of its own nginx (`--announce-self-check URL`): an HTTP GET every 500 ms; any answer below
 * 500 means nginx serves (the default server's 404 included); a refused connection, a timeout or a 5xx is a failure.
 * Two failures in a row make it down (the self-announcement is withdrawn, within about 1 s of nginx's death); the
 * first success makes it up again.
 */
import http from 'node:http';

export const SELF_CHECK_INTERVAL_MS = 500;
/** Failures in a row that make nginx down. */
export const SELF_CHECK_FAILURES = 2;
const TIMEOUT_MS = 450;

/** A peer frontend's nginx is asked the same way (registry/etcd-peer-silence.ts), with a shorter bound. */
export const PEER_CHECK_TIMEOUT_MS = 300;

/** A peer's nginx: this frontend's check URL (port and path) at the address the peer announces. */
export function peerUrl(checkUrl: URL, host: string): URL {
  const url = new URL(checkUrl);
  url.hostname = host.includes(':') ? `[${host}]` : host;
  return url;
}

/** Where the check stands, as the agent's /status shows it. */
export interface SelfCheckStatus {
  url: string;
  /** undefined until the first answer or failure. */
  up: boolean | undefined;
  failures: number;
  /** The last failure, one line. */
  lastError?: string | undefined;
}

/** One GET of `url`: undefined when nginx answered below 500, else why not. */
export function checkOnce(url: URL, timeoutMs = TIMEOUT_MS): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = http.get(
      url,
      { timeout: timeoutMs, agent: false, headers: { 'user-agent': 'rundock-agent-self-check' } },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        resolve(status < 500 ? undefined : `answered ${status}`);
      },
    );
    request.once('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.once('error', (error) => resolve(error.message));
  });
}

/** Checks on its interval and calls `changed(up)` when nginx goes down or comes back (and at the first verdict). */
export class SelfCheck {
  private timer: NodeJS.Timeout | undefined;
  private current: SelfCheckStatus;

  constructor(
    private readonly url: URL,
    private readonly changed: (up: boolean, reason: string | undefined) => void,
  ) {
    this.current = { url: url.href, up: undefined, failures: 0 };
  }

  start(): void {
    if (this.timer === undefined) this.schedule(0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  status(): SelfCheckStatus {
    return { ...this.current };
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => void this.run(), delayMs);
  }

  private async run(): Promise<void> {
    const started = Date.now();
    const failure = await checkOnce(this.url);
    if (this.timer === undefined) return;
    const before = this.current.up;
    const failures = failure === undefined ? 0 : this.current.failures + 1;
    const up = failure === undefined ? true : failures >= SELF_CHECK_FAILURES ? false : before;
    this.current = { url: this.url.href, up, failures, lastError: failure ?? this.current.lastError };
    if (up !== undefined && up !== before) this.changed(up, failure);
    this.schedule(Math.max(0, SELF_CHECK_INTERVAL_MS - (Date.now() - started)));
  }
}
