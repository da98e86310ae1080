/**
 * The io.rundock.* labels: the container carries its rundock spec, so Docker is the only state rundock needs.
 * Documented in docs/labels.md; the agent reads them.
 */
export const LABEL = {
  service: 'io.rundock.service',
  specHash: 'io.rundock.spec-hash',
  image: 'io.rundock.image',
  announce: 'io.rundock.announce',
  port: 'io.rundock.port',
  announceAs: 'io.rundock.announce-as',
  version: 'io.rundock.version',
} as const;

export const LABEL_PREFIX = 'io.rundock.';

/** The fields the labels carry, decoded. */
export interface LabelledService {
  service: string;
  specHash: string;
  image: string;
  announce?: number | undefined;
  port?: number | undefined;
  announceAs: 'private' | 'public' | 'container';
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
    announce: optionalPort(labels[LABEL.announce]),
    port: optionalPort(labels[LABEL.port]),
    announceAs: announceAs === 'public' || announceAs === 'container' ? announceAs : 'private',
  };
}

function optionalPort(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}
