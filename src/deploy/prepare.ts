import type Docker from 'dockerode';
import { buildDesiredContainer, secretEnv, type BodyInput, type DesiredContainer } from '../plan/container-body.js';
import { envDigest } from '../plan/env-digest.js';
import type { HostAddresses } from '../runtime/host.js';
import { parseArgs, splitWords } from '../service-spec/args/index.js';
import { durationNanos } from '../service-spec/args/values.js';
import { LABEL, type ProbeLabel } from '../service-spec/labels.js';
import { canonicalJson, hashOf } from '../plan/canonical.js';
import type { RunOptions } from '../service-spec/run-options.js';
import type { HealthSpec, ProbeSpec, ServiceSpec } from '../service-spec/schema.js';
import { readEnvFile } from './env-file.js';

/** This host, as the spec is resolved against it. */
export interface HostContext {
  name: string;
  addresses: HostAddresses;
  version: string;
}

/** A validated service with its container body built: everything decided before any change is made. */
export interface PreparedService {
  spec: Readonly<ServiceSpec>;
  desired?: DesiredContainer | undefined;
  /**
   * Present when the service has secret env entries (env files, `-e KEY` from the environment): `desired` then has a
   * placeholder digest, and this builds the real one under the engine's digest key (converge does, before planning).
   */
  seal?: ((key: Uint8Array) => DesiredContainer) | undefined;
  /**
   * How long `enable` waits for the container to be ready; undefined for a service given without its image (a bare
   * `enable NAME`): then it follows from the existing container's health check.
   */
  waitTimeoutMs?: number | undefined;
  /** How long a replaced, withdrawn container keeps serving requests in flight before it is stopped. */
  drainMs: number;
  /** The image ID to run instead of what the tag names now (a rollback to an earlier generation). */
  pinnedImageId?: string | undefined;
}

/**
 * Resolves a spec against this host: parses args, reads env files, builds the create body and its hash.
 * Throws ValidationError (exit 2) on any bad input, before anything touches the engine.
 */
export function prepareService(
  spec: Readonly<ServiceSpec>,
  host: HostContext,
  waitTimeoutMs?: number,
  pinnedImageId?: string,
): PreparedService {
  const drainMs = spec.drain === undefined ? DEFAULT_DRAIN_MS : Math.round(nanos(spec.drain) / 1e6);
  if (spec.image === undefined || spec.state === 'absent') return { spec, waitTimeoutMs, drainMs };
  const vars = { PRIVATE_IP: host.addresses.private, PUBLIC_IP: host.addresses.public };
  const run = withSpecEnv(parseArgs(spec.args, vars), toList(spec.env));
  const envFiles = [
    ...toList(spec.env_file).map((p) => [p, 'env_file'] as const),
    ...run.envFiles.map((p) => [p, 'args'] as const),
  ];
  const healthcheck = spec.health === undefined ? undefined : toHealthConfig(spec.health);
  const input: BodyInput = {
    spec: { ...spec, image: spec.image },
    run,
    envFromFiles: envFiles.flatMap(([path, field]) => readEnvFile(path, field)),
    cmd: typeof spec.cmd === 'string' ? splitWords(spec.cmd, vars, 'cmd') : spec.cmd,
    healthcheck,
    probe: spec.probe === undefined ? undefined : toProbeLabel(spec.probe),
    host,
    version: host.version,
  };
  const secret = secretEnv(input);
  // Built once now so that every check runs before anything touches the engine.
  const build = (digest: string | undefined): DesiredContainer =>
    pin(buildDesiredContainer({ ...input, envDigest: digest }), pinnedImageId);
  const desired = build(secret.length > 0 ? 'unsealed' : undefined);
  const seal = secret.length === 0 ? undefined : (key: Uint8Array) => build(envDigest(key, secret));
  const waitMs = waitTimeoutMs ?? defaultWaitMs(desired.body.Healthcheck);
  return { spec, desired, seal, waitTimeoutMs: waitMs, drainMs, pinnedImageId };
}

/**
 * The spec's own `env` entries, after those of args, as `docker run` puts `-e` after `--env-file`: `KEY=VALUE` as
 * given, a bare `KEY` from rundock's environment (skipped when unset), secret like env-file values.
 */
export function withSpecEnv(
  run: RunOptions,
  entries: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): RunOptions {
  if (entries.length === 0) return run;
  const added: string[] = [];
  const inherited: string[] = [];
  for (const entry of entries) {
    if (entry.includes('=')) added.push(entry);
    else if (env[entry] !== undefined) {
      added.push(`${entry}=${env[entry]}`);
      inherited.push(`${entry}=${env[entry]}`);
    }
  }
  if (added.length === 0) return run;
  const inheritedEnv = [...(run.inheritedEnv ?? []), ...inherited];
  return {
    ...run,
    body: { ...run.body, Env: [...(run.body.Env ?? []), ...added] },
    ...(inheritedEnv.length > 0 && { inheritedEnv }),
  };
}

/** The container with its image given by ID (the labels keep the reference); the hash covers the ID. */
function pin(desired: DesiredContainer, imageId: string | undefined): DesiredContainer {
  if (imageId === undefined) return desired;
  const body = { ...desired.body, Image: imageId };
  const hash = hashOf({ pinned: imageId, spec: desired.hash });
  const snapshot = canonicalJson({ ...(JSON.parse(desired.snapshot ?? '{}') as object), Image: imageId });
  const labels = { ...body.Labels, [LABEL.specHash]: hash, [LABEL.spec]: snapshot };
  return { ...desired, body: { ...body, Labels: labels }, hash, snapshot };
}

/** The drain time when the spec gives none: long enough for ordinary requests in flight to finish. */
export const DEFAULT_DRAIN_MS = 5000;

/** Docker's HEALTHCHECK from the spec: a string runs in the container's shell, a list is exec'd directly. */
export function toHealthConfig(health: HealthSpec): Docker.HealthConfig {
  const config: Docker.HealthConfig = {
    Test: typeof health.cmd === 'string' ? ['CMD-SHELL', health.cmd] : ['CMD', ...health.cmd],
  };
  if (health.interval !== undefined) config.Interval = nanos(health.interval);
  if (health.timeout !== undefined) config.Timeout = nanos(health.timeout);
  if (health.start_period !== undefined) config.StartPeriod = nanos(health.start_period);
  if (health.retries !== undefined) config.Retries = health.retries;
  return config;
}

/** The agent's probe with defaults: every 5 s, 2 s timeout, HTTP 200, healthy at once, unhealthy after 3 failures. */
export function toProbeLabel(probe: ProbeSpec): ProbeLabel {
  const ms = (d: string | number | undefined, fallback: number): number =>
    d === undefined ? fallback : Math.round(nanos(d) / 1e6);
  return {
    check: probe.check as ProbeLabel['check'],
    status: probe.status ?? 200,
    interval_ms: ms(probe.interval, 5000),
    timeout_ms: ms(probe.timeout, 2000),
    healthy_threshold: probe.healthy_threshold ?? 1,
    unhealthy_threshold: probe.unhealthy_threshold ?? 3,
  };
}

/** Long enough for Docker to decide: start period plus every retry at the check's interval, and a margin. */
export function defaultWaitMs(health: Docker.HealthConfig | undefined): number {
  if (health === undefined || health.Test?.[0] === 'NONE') return 30_000;
  const ms = (ns: number | undefined, fallbackS: number): number => (ns ? ns / 1e6 : fallbackS * 1000);
  const perTry = ms(health.Interval, 30) + ms(health.Timeout, 30);
  return Math.max(30_000, ms(health.StartPeriod, 0) + perTry * ((health.Retries ?? 3) + 1) + 5_000);
}

function nanos(duration: string | number): number {
  return typeof duration === 'number' ? Math.round(duration * 1e9) : durationNanos(duration, 'health');
}

function toList(value: string | readonly string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
}
