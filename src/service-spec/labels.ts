/**
 * The io.rundock.* labels: the container carries its rundock spec, so Docker is the only state rundock needs.
 * Documented in docs/labels.md; the agent reads them.
 */
import { formatRoute, parseRoute } from '../shared/route-address.js';

export const LABEL = {
  service: 'io.rundock.service',
  specHash: 'io.rundock.spec-hash',
  image: 'io.rundock.image',
  announce: 'io.rundock.announce',
  port: 'io.rundock.port',
  announceAs: 'io.rundock.announce-as',
  version: 'io.rundock.version',
  probe: 'io.rundock.probe',
  /** The create body the spec hash covers, as canonical JSON, secret env entries as names only. */
  spec: 'io.rundock.spec',
  restartUnhealthy: 'io.rundock.restart-unhealthy',
  /** The service's public routes, a JSON list of `HOST[/PATH]`. */
  routes: 'io.rundock.routes',
  stripPrefix: 'io.rundock.strip-prefix',
} as const;

export const LABEL_PREFIX = 'io.rundock.';

/** An agent-run health probe, as the label carries it: durations in milliseconds, defaults filled in. */
export interface ProbeLabel {
  check: 'tcp' | `http:/${string}`;
  status: number;
  interval_ms: number;
  timeout_ms: number;
  healthy_threshold: number;
  unhealthy_threshold: number;
}

/** The fields the labels carry, decoded. */
export interface LabelledService {
  service: string;
  specHash: string;
  image: string;
  /** The announced host port, or `auto`: the one Docker bound for `port`. */
  announce?: number | 'auto' | undefined;
  port?: number | undefined;
  announceAs: 'private' | 'public' | 'container';
  probe?: ProbeLabel | undefined;
  /** After this many failed checks in a row (health check or probe), the agent restarts the container. */
  restartUnhealthy?: number | undefined;
  /** Public routes, `HOST[/PATH]`, normalized and sorted; absent without any. */
  routes?: readonly string[] | undefined;
  /** Gateways remove the route's path prefix before proxying. */
  stripPrefix?: boolean | undefined;
}

/** The labels that describe a service; the spec hash and version labels are added once the body is hashed. */
export function encodeLabels(s: Omit<LabelledService, 'specHash'>): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL.service]: s.service,
    [LABEL.image]: s.image,
    [LABEL.announceAs]: s.announceAs,
  };
  if (s.announce !== undefined) labels[LABEL.announce] = String(s.announce);
  if (s.port !== undefined) labels[LABEL.port] = String(s.port);
  if (s.probe !== undefined) labels[LABEL.probe] = JSON.stringify(s.probe);
  if (s.restartUnhealthy !== undefined) labels[LABEL.restartUnhealthy] = String(s.restartUnhealthy);
  if (s.routes !== undefined && s.routes.length > 0) labels[LABEL.routes] = JSON.stringify(s.routes);
  if (s.stripPrefix === true) labels[LABEL.stripPrefix] = 'true';
  return labels;
}

/** Decodes a container's labels; undefined when the container is not a rundock service. */
export function decodeLabels(labels: Readonly<Record<string, string>>): LabelledService | undefined {
  const service = labels[LABEL.service];
  if (service === undefined) return undefined;
  const announceAs = labels[LABEL.announceAs];
  return {
    service,
    specHash: labels[LABEL.specHash] ?? '',
    image: labels[LABEL.image] ?? '',
    announce: labels[LABEL.announce] === 'auto' ? 'auto' : optionalPort(labels[LABEL.announce]),
    port: optionalPort(labels[LABEL.port]),
    announceAs: announceAs === 'public' || announceAs === 'container' ? announceAs : 'private',
    probe: decodeProbe(labels[LABEL.probe]),
    restartUnhealthy: positiveInt(labels[LABEL.restartUnhealthy]),
    routes: decodeRoutes(labels[LABEL.routes]),
    stripPrefix: labels[LABEL.stripPrefix] === 'true' ? true : undefined,
  };
}

/** The routes label: every entry a valid `HOST[/PATH]` (normalized); a garbled label counts as no routes. */
function decodeRoutes(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  try {
    const list: unknown = JSON.parse(text);
    if (!Array.isArray(list) || list.length === 0) return undefined;
    return list.map((entry) => formatRoute(parseRoute(String(entry))));
  } catch {
    return undefined;
  }
}

/** A whole number from 1 up, as the label carries it; anything else (hand-edited, garbled) counts as absent. */
function positiveInt(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && /^[0-9]+$/.test(text) && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function decodeProbe(text: string | undefined): ProbeLabel | undefined {
  if (text === undefined) return undefined;
  try {
    const p = JSON.parse(text) as Partial<ProbeLabel>;
    const positive = (n: unknown): n is number => typeof n === 'number' && n > 0;
    const valid =
      (p.check === 'tcp' || p.check?.startsWith('http:/')) &&
      positive(p.status) &&
      positive(p.interval_ms) &&
      positive(p.timeout_ms) &&
      positive(p.healthy_threshold) &&
      positive(p.unhealthy_threshold);
    return valid ? (p as ProbeLabel) : undefined;
  } catch {
    return undefined;
  }
}

function optionalPort(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}
