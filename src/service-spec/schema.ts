import * as z from 'zod/mini';
import '../shared/zod-messages.js';
import { isImageReference } from './image-ref.js';
import { DNS_LABEL } from '../shared/dns-label.js';
import { routeList, routeRules } from './route-fields.js';

/** The four states of a service, as in the original Ansible module. */
export const STATES = ['present', 'enabled', 'disabled', 'absent'] as const;
export type State = (typeof STATES)[number];

const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|\u00b5s|ms|s|m|h))+$/;
const ENV_ENTRY = /^[^=\s]+(=[\s\S]*)?$/;
const ENV_MESSAGE = 'must be KEY=VALUE or KEY (a name without =, taken from the environment)';
const RESTART = /^(?:no|always|unless-stopped|on-failure(?::\d+)?)$/;
const envEntry = (): z.ZodMiniString => z.string().check(z.regex(ENV_ENTRY, ENV_MESSAGE));

const port = z
  .int({ error: (issue) => (typeof issue.input === 'number' ? 'must be an integer' : 'must be a port number') })
  .check(z.minimum(1, 'must be 1..65535'), z.maximum(65535, 'must be 1..65535'));
const duration = z.union([
  z.string().check(z.regex(DURATION, 'must be a duration like 5s, 500ms or 1m30s')),
  z.number().check(z.positive('must be a positive number of seconds')),
]);
const atLeast = (n: number): z.ZodMiniNumberFormat => z.int().check(z.minimum(n));
const nonEmpty = (): z.ZodMiniString => z.string().check(z.minLength(1));

/** A Docker HEALTHCHECK run by dockerd inside the container. */
export const healthSchema = z.strictObject({
  cmd: z.union([nonEmpty(), z.array(z.string()).check(z.minLength(1))]),
  interval: z.optional(duration),
  timeout: z.optional(duration),
  retries: z.optional(atLeast(1)),
  start_period: z.optional(duration),
});

/** A check the agent runs when the image has no Docker HEALTHCHECK: a TCP connect or an HTTP GET of a path. */
export const probeSchema = z.strictObject({
  check: z.string().check(z.regex(/^(?:tcp|http:\/[\x21-\x7e]*)$/, 'must be tcp or http:/path')),
  status: z.optional(z.int().check(z.minimum(100, 'must be an HTTP status'), z.maximum(599, 'must be an HTTP status'))),
  interval: z.optional(duration),
  timeout: z.optional(duration),
  healthy_threshold: z.optional(atLeast(1)),
  unhealthy_threshold: z.optional(atLeast(1)),
});

/** One service, with the keys of the Ansible module (snake_case); CLI flags map onto the same keys. */
export const serviceSchema = z
  .strictObject({
    name: z
      .string()
      .check(z.regex(DNS_LABEL, 'must be a DNS label: a-z, 0-9 and inner hyphens, at most 63 characters')),
    state: z._default(z.enum(STATES), 'enabled'),
    image: z.optional(
      z.string().check(z.refine(isImageReference, 'must be a Docker image reference like registry:5000/repo/name:tag')),
    ),
    args: z._default(z.string(), ''),
    cmd: z.optional(z.union([z.string(), z.array(z.string())])),
    /** The host port to publish and announce, or `auto`: Docker picks a free one and the agent announces it. */
    announce: z.optional(z.union([port, z.literal('auto')], { error: 'must be a port number or auto' })),
    port: z.optional(port),
    announce_as: z._default(z.enum(['private', 'public', 'container']), 'private'),
    pull: z._default(z.enum(['always', 'missing', 'never']), 'missing'),
    restart: z.optional(z.string().check(z.regex(RESTART, 'must be no, always, unless-stopped or on-failure[:N]'))),
    health: z.optional(healthSchema),
    probe: z.optional(probeSchema),
    env_file: z.optional(z.union([nonEmpty(), z.array(nonEmpty())])),
    /** `KEY=VALUE`, or `KEY` taking its value from rundock's environment: `docker run -e`, after args' own `-e`. */
    env: z.optional(z.union([envEntry(), z.array(envEntry())])),
    /** How long a replaced container keeps serving in-flight requests after every gateway has dropped it. */
    drain: z.optional(duration),
    /** Public routes `HOST[/PATH]` every gateway serves from this service (`routes` is the same key, plural). */
    route: z.optional(routeList),
    routes: z.optional(routeList),
    /** Proxy `HOST/PATH/x` to the service as `/x` (the path prefix removed). */
    strip_prefix: z.optional(z.boolean({ error: 'must be true or false' })),
    /** After this many failed checks in a row (Docker health check or probe), the agent restarts the container. */
    restart_unhealthy: z.optional(
      z
        .int({ error: 'must be a whole number of failed checks, at least 1' })
        .check(
          z.minimum(1, 'must be a whole number of failed checks, at least 1'),
          z.maximum(1000, 'must be at most 1000'),
        ),
    ),
  })
  .check(
    z.superRefine((spec, ctx) => {
      if ((spec.state === 'present' || spec.state === 'enabled') && spec.image === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['image'],
          message: `is required for state ${spec.state}`,
          input: undefined,
        });
      }
      if (spec.announce === 'auto' && spec.announce_as === 'container') {
        ctx.addIssue({
          code: 'custom',
          path: ['announce'],
          message: 'auto picks a host port to publish, and announce_as container publishes none: leave announce out',
          input: spec.announce,
        });
      }
      if (spec.announce === 'auto' && spec.port === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['port'],
          message: 'is required with announce auto (the container port to publish)',
          input: undefined,
        });
      }
      if (spec.port !== undefined && spec.announce === undefined && spec.announce_as !== 'container') {
        ctx.addIssue({
          code: 'custom',
          path: ['port'],
          message: 'needs announce (the host port to publish)',
          input: spec.port,
        });
      }
      routeRules(spec, ctx);
    }),
  );

/** A validated service spec. */
export type ServiceSpec = z.infer<typeof serviceSchema>;
export type HealthSpec = z.infer<typeof healthSchema>;
export type ProbeSpec = z.infer<typeof probeSchema>;
