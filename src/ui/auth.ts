/**
 * Who may read the page. Pure: a request's URL and headers in, a verdict out.
 * - With a token: every request must carry it (Authorization: Bearer, or the cookie set when the page was opened once
 *   with ?token=...); anything else gets 401.
 * - Without one (loopback only): the Host header must name a loopback host, so a web page elsewhere cannot read the
 *   dashboard through the browser by pointing its own name at 127.0.0.1 (DNS rebinding); anything else gets 403.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isLoopback } from './options.js';

export const TOKEN_COOKIE = 'rundock_ui_token';

export type Access =
  | { ok: true }
  /** The token came in the query: set it as a cookie and redirect to `location`, so it leaves the address bar. */
  | { ok: false; status: 303; location: string; cookie: string }
  | { ok: false; status: 401 | 403; message: string };

/** Decides whether the request may be served. */
export function checkAccess(url: URL, headers: IncomingHttpHeaders, token: string | undefined): Access {
  if (token === undefined) {
    const host = headers.host;
    if (host === undefined || isLoopback(hostOfHeader(host))) return { ok: true };
    return { ok: false, status: 403, message: 'this UI listens on loopback; open it as http://127.0.0.1:PORT/' };
  }
  const query = url.searchParams.get('token');
  if (query !== null && same(query, token)) {
    const rest = new URLSearchParams(url.searchParams);
    rest.delete('token');
    const search = rest.size > 0 ? `?${rest.toString()}` : '';
    const cookie = `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
    return { ok: false, status: 303, location: `${url.pathname}${search}`, cookie };
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
  if ((bearer !== undefined && same(bearer, token)) || same(cookieValue(headers.cookie) ?? '', token))
    return { ok: true };
  return {
    ok: false,
    status: 401,
    message: 'this UI needs its token: open /?token=TOKEN once, or send Authorization: Bearer TOKEN',
  };
}

/** Constant-time comparison of digests: the time taken tells nothing about the token. */
function same(given: string, token: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

function cookieValue(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) {
      try {
        return decodeURIComponent(value.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** `127.0.0.1:9480` -> `127.0.0.1`, `[::1]:9480` -> `::1`, `localhost` -> `localhost`. */
function hostOfHeader(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  return host.replace(/:\d+$/, '');
}
