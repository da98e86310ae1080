/**
 * Registry keys: the SkyDNS key layout (DNS name <-> etcd key) and rundock's own host keys.
 * This module and record.ts are the one owner of the SkyDNS wire format; the agent, DNS and gateway use them.
 * The layout is documented in docs/records.md.
 */
import { ValidationError } from '../shared/errors.js';
import { DNS_LABEL } from '../shared/dns-label.js';

/** Root of the DNS subtree, as SkyDNS and CoreDNS's etcd plugin read it by default (`path /skydns`). */
export const SKYDNS_PREFIX = '/skydns/';
/** Root of rundock's own cluster view; kept outside the DNS subtree so DNS servers never answer for it. */
export const HOSTS_PREFIX = '/rundock/hosts/';
/** Where each gateway reports what its nginx serves (docs/records.md). */
export const GATEWAYS_PREFIX = '/rundock/gateways/';

const LABEL_RULE = 'must be lowercase DNS labels: a-z, 0-9 and inner hyphens, at most 63 characters each';

/** Checks one DNS label (a service or host name); `field` names it in the error. */
export function checkLabel(field: string, value: string): string {
  if (!DNS_LABEL.test(value))
    throw new ValidationError(
      field,
      value,
      'must be a lowercase DNS label: a-z, 0-9 and inner hyphens, at most 63 characters',
    );
  return value;
}

/**
 * The labels of a domain, left to right. One trailing dot (the fully qualified form) is accepted and dropped, so
 * `s.prod.example.com` and `s.prod.example.com.` share one subtree.
 */
export function domainLabels(domain: string): string[] {
  const bare = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  const labels = bare.split('.');
  if (bare.length === 0 || bare.length > 253 || !labels.every((l) => DNS_LABEL.test(l)))
    throw new ValidationError('domain', domain, LABEL_RULE);
  return labels;
}

/** The key prefix of every record in `domain`: `s.prod.example.com` -> `/skydns/com/example/prod/s/`. */
export function domainPrefix(domain: string): string {
  return `${SKYDNS_PREFIX}${domainLabels(domain).reverse().join('/')}/`;
}

/** The key prefix of every instance of `service`: `/skydns/com/example/prod/s/influxdb/`. */
export function servicePrefix(domain: string, service: string): string {
  return `${domainPrefix(domain)}${checkLabel('name', service)}/`;
}

/**
 * The key of `service`'s record from `host`: domain `s.prod.example.com`, service `influxdb`, host `node-back-1` ->
 * `/skydns/com/example/prod/s/influxdb/node-back-1`. It answers for `influxdb.s.prod.example.com` (with every other
 * host's record of the service) and for `node-back-1.influxdb.s.prod.example.com` alone.
 */
export function recordKey(domain: string, service: string, host: string): string {
  return `${servicePrefix(domain, service)}${checkLabel('hostname', host)}`;
}

/**
 * The key of a second instance of `service` on `host` while a redeploy overlaps the old and the new container:
 * `/skydns/com/example/prod/s/web/node-1/3f2a7b9c0d1e`, below the host's own record. `node-1.web.<domain>` and
 * `web.<domain>` answer with both while both exist (SkyDNS answers a name with every record at or below it).
 */
export function instanceKey(domain: string, service: string, host: string, instance: string): string {
  return `${recordKey(domain, service, host)}/${checkLabel('instance', instance)}`;
}

/** The key of `host`'s gateway report: `/rundock/gateways/<host>`. */
export function gatewayKey(host: string): string {
  return `${GATEWAYS_PREFIX}${checkLabel('hostname', host)}`;
}

/** The key of rundock's own record of `host` (its cluster view): `/rundock/hosts/<host>`, never inside /skydns. */
export function hostKey(host: string): string {
  return `${HOSTS_PREFIX}${checkLabel('hostname', host)}`;
}

/**
 * The DNS name a key answers for, as SkyDNS and CoreDNS map it: the path after `/skydns/`, reversed, joined by dots.
 * `/skydns/com/example/prod/s/influxdb/node-back-1` -> `node-back-1.influxdb.s.prod.example.com` (no trailing dot).
 * Segments are not checked as labels: keys written by other tools (`_tcp`, `*`) map the same way DNS servers map them.
 * Throws a ValidationError (field `key`) for a key outside /skydns or with an empty segment.
 */
export function nameOfKey(key: string): string {
  const segments = key.startsWith(SKYDNS_PREFIX) ? key.slice(SKYDNS_PREFIX.length).split('/') : [];
  if (segments.length === 0 || segments.some((s) => s.length === 0)) {
    throw new ValidationError('key', key, `must be a path under ${SKYDNS_PREFIX} with non-empty segments`);
  }
  return segments.reverse().join('.');
}

/**
 * The service and host (and, for a redeploy's second instance, the instance) of a record key written in rundock's
 * layout under `domain`, or undefined for any other key (another domain, a deeper or shallower path, a segment that
 * is not a lowercase DNS label).
 */
export function parseRecordKey(
  domain: string,
  key: string,
): { service: string; host: string; instance?: string } | undefined {
  const prefix = domainPrefix(domain);
  if (!key.startsWith(prefix)) return undefined;
  const [service, host, instance, ...rest] = key.slice(prefix.length).split('/');
  if (service === undefined || host === undefined || rest.length > 0) return undefined;
  if (!DNS_LABEL.test(service) || !DNS_LABEL.test(host)) return undefined;
  if (instance === undefined) return { service, host };
  return DNS_LABEL.test(instance) ? { service, host, instance } : undefined;
}
