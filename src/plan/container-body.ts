import type Docker from 'dockerode';
import { ValidationError } from '../shared/errors.js';
import { encodeLabels, LABEL, type ProbeLabel } from '../service-spec/labels.js';
import type { CreateBody, RunOptions } from '../service-spec/run-options.js';
import type { ServiceSpec } from '../service-spec/schema.js';
import { routesOf } from '../service-spec/route-fields.js';
import { formatRoute } from '../shared/route-address.js';
import { canonicalJson, hashOf } from './canonical.js';
import { hashInput } from './env-digest.js';

/** Everything the container body is derived from; gathered by the I/O layer, used here without I/O. */
export interface BodyInput {
  spec: Readonly<ServiceSpec> & { image: string };
  run: RunOptions;
  /** KEY=VALUE entries read from env files (spec env_file, then args --env-file), before args -e values. */
  envFromFiles: readonly string[];
  /**
   * The keyed digest (env-digest.ts) of the secret entries: envFromFiles, then run.inheritedEnv. Required when there
   * are any; the hash covers it instead of their values.
   */
  envDigest?: string | undefined;
  cmd?: readonly string[] | undefined;
  healthcheck?: Docker.HealthConfig | undefined;
  probe?: ProbeLabel | undefined;
  host: { name: string; addresses: { public?: string | undefined; private?: string | undefined } };
  version: string;
}

/**
 * The container rundock wants: its Engine API create body, the hash of what defines it, and its published address
 * (the port is `auto` until Docker has bound one).
 */
export interface DesiredContainer {
  body: CreateBody;
  hash: string;
  /** With `--network host` nothing is published: the service listens on `ip:port` itself (`network: 'host'`). */
  published?: { ip: string; port: number | 'auto'; network?: 'host' } | undefined;
  /** What the hash covers, as canonical JSON (secret env entries as names only): the `io.rundock.spec` label. */
  snapshot?: string | undefined;
}

/** Builds the Engine API create body for a service. Pure: equal inputs give an equal body and hash. */
export function buildDesiredContainer(input: BodyInput): DesiredContainer {
  const { spec, run } = input;
  const body: CreateBody = structuredClone(run.body);
  const host = body.HostConfig;
  body.Image = spec.image;
  const env = [...input.envFromFiles, ...(body.Env ?? [])];
  if (env.length > 0) body.Env = env;
  if (input.cmd !== undefined) body.Cmd = [...input.cmd];
  if (!sharesNetworkNamespace(host.NetworkMode)) body.Hostname ??= `${input.host.name}-${spec.name}`;
  host.RestartPolicy = restartPolicy(spec.restart, host.RestartPolicy);
  if (input.healthcheck !== undefined) {
    if (body.Healthcheck !== undefined)
      throw new ValidationError('health', spec.health, 'is also set by --health-* flags in args; set it once');
    body.Healthcheck = input.healthcheck;
  }
  const published = publishAnnounce(body, input);
  const labels = encodeLabels({
    service: spec.name,
    image: spec.image,
    announce: spec.announce,
    port: containerPort(spec),
    announceAs: spec.announce_as,
    probe: input.probe,
    restartUnhealthy: spec.restart_unhealthy,
    routes: routesOf(spec).map(formatRoute),
    stripPrefix: spec.strip_prefix,
  });
  body.Labels = { ...body.Labels, ...labels };
  // The hash covers the whole body, rundock's labels included (the agent acts on them); not rundock's version; and
  // of secret env entries only their names and keyed digest. The same text is kept in a label, so a later run can
  // name the fields that differ (plan/changes.ts) without ever holding a secret value.
  const covered = hashInput(body, secretEnv(input), input.envDigest);
  const hash = hashOf(covered);
  const snapshot = canonicalJson(covered);
  body.Labels = { ...body.Labels, [LABEL.specHash]: hash, [LABEL.version]: input.version, [LABEL.spec]: snapshot };
  return { body, hash, published, snapshot };
}

/** The env entries whose values are secret, in body.Env order: env files first, then `-e KEY` taken from the environment. */
export function secretEnv(input: Pick<BodyInput, 'envFromFiles' | 'run'>): string[] {
  return [...input.envFromFiles, ...(input.run.inheritedEnv ?? [])];
}

/** The container port: `port`, defaulting to a fixed `announce`. */
export function containerPort(spec: Pick<ServiceSpec, 'port' | 'announce'>): number | undefined {
  return spec.port ?? (spec.announce === 'auto' ? undefined : spec.announce);
}

function sharesNetworkNamespace(mode: string | undefined): boolean {
  return mode === 'host' || (mode?.startsWith('container:') ?? false);
}

function restartPolicy(
  fromSpec: string | undefined,
  fromArgs: Docker.HostRestartPolicy | undefined,
): Docker.HostRestartPolicy {
  if (fromSpec === undefined) return fromArgs ?? { Name: 'unless-stopped' };
  if (fromArgs !== undefined)
    throw new ValidationError('restart', fromSpec, 'is also set by --restart in args; set it once');
  const [name = 'unless-stopped', retries] = fromSpec.split(':');
  return retries === undefined ? { Name: name } : { Name: name, MaximumRetryCount: Number(retries) };
}

/**
 * Publishes `announce` on the private or public address to the container port; `container` publishes nothing. With
 * `auto` the binding names no host port, so Docker picks a free one (the agent announces what it bound).
 */
function publishAnnounce(body: CreateBody, input: BodyInput): DesiredContainer['published'] {
  const { spec } = input;
  const port = containerPort(spec);
  if (spec.announce === undefined || port === undefined || spec.announce_as === 'container') return undefined;
  const ip = input.host.addresses[spec.announce_as];
  if (ip === undefined) {
    throw new ValidationError(
      'announce_as',
      spec.announce_as,
      `needs this host's ${spec.announce_as} address; set --${spec.announce_as}-ip or RUNDOCK_${spec.announce_as.toUpperCase()}_IP`,
      'RUNDOCK_E_HOST_ADDRESS',
    );
  }
  if (body.HostConfig.NetworkMode === 'host') {
    if (spec.announce === 'auto')
      throw new ValidationError(
        'announce',
        'auto',
        'needs a published port, and with --network host nothing is published: give the port the service listens on',
      );
    if (port !== spec.announce)
      throw new ValidationError(
        'port',
        port,
        `must equal announce (${spec.announce}) with --network host: nothing is published`,
      );
    return { ip, port: spec.announce, network: 'host' };
  }
  const key = `${port}/tcp`;
  body.ExposedPorts = { ...body.ExposedPorts, [key]: {} };
  const bindings = body.HostConfig.PortBindings as Record<string, { HostIp: string; HostPort: string }[]> | undefined;
  body.HostConfig.PortBindings = {
    ...bindings,
    [key]: [
      ...(bindings?.[key] ?? []),
      { HostIp: ip, HostPort: spec.announce === 'auto' ? '' : String(spec.announce) },
    ],
  };
  return { ip, port: spec.announce };
}
