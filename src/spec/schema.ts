import { z } from 'zod';
import { isImageReference } from './image-ref.js';

/** The four states of a service, as in the original Ansible module. */
export const STATES = ['present', 'enabled', 'disabled', 'absent'] as const;
export type State = (typeof STATES)[number];

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const RESTART = /^(?:no|always|unless-stopped|on-failure(?::\d+)?)$/;

const port = z
  .number({ error: 'must be a port number' })
  .int('must be an integer')
  .min(1, 'must be 1..65535')
  .max(65535, 'must be 1..65535');
const duration = z.union([
  z.string().regex(DURATION, 'must be a duration like 5s, 500ms or 1m30s'),
  z.number().positive('must be a positive number of seconds'),
]);

/** A Docker HEALTHCHECK run by dockerd inside the container. */
export const healthSchema = z.strictObject({
  cmd: z.union([z.string().min(1), z.array(z.string()).min(1)]),
  interval: duration.optional(),
  timeout: duration.optional(),
  retries: z.number().int().min(1).optional(),
  start_period: duration.optional(),
});

/** A check the agent runs when the image has no Docker HEALTHCHECK: a TCP connect or an HTTP GET of a path. */
export const probeSchema = z.strictObject({
  check: z.string().regex(/^(?:tcp|http:\/[\x21-\x7e]*)$/, 'must be tcp or http:/path'),
  status: z.number().int().min(100, 'must be an HTTP status').max(599, 'must be an HTTP status').optional(),
  interval: duration.optional(),
  timeout: duration.optional(),
  healthy_threshold: z.number().int().min(1).optional(),
  unhealthy_threshold: z.number().int().min(1).optional(),
});

/** One service, with the keys of the Ansible module (snake_case); CLI flags map onto the same keys. */
export const serviceSchema = z
  .strictObject({
    name: z.string().regex(DNS_LABEL, 'must be a DNS label: a-z, 0-9 and inner hyphens, at most 63 characters'),
    state: z.enum(STATES).default('enabled'),
    image: z
      .string()
      .refine(isImageReference, 'must be a Docker image reference like registry:5000/repo/name:tag')
      .optional(),
    args: z.string().default(''),
    cmd: z.union([z.string(), z.array(z.string())]).optional(),
    /** The host port to publish and announce, or `auto`: Docker picks a free one and the agent announces it. */
    announce: z.union([port, z.literal('auto')], { error: 'must be a port number or auto' }).optional(),
    port: port.optional(),
    announce_as: z.enum(['private', 'public', 'container']).default('private'),
    pull: z.enum(['always', 'missing', 'never']).default('missing'),
    restart: z.string().regex(RESTART, 'must be no, always, unless-stopped or on-failure[:N]').optional(),
    health: healthSchema.optional(),
    probe: probeSchema.optional(),
    env_file: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
    /** How long a replaced container keeps serving in-flight requests after every gateway has dropped it. */
    drain: duration.optional(),
    /** After this many failed checks in a row (Docker health check or probe), the agent restarts the container. */
    restart_unhealthy: z
      .number({ error: 'must be a whole number of failed checks, at least 1' })
      .int('must be a whole number of failed checks, at least 1')
      .min(1, 'must be a whole number of failed checks, at least 1')
      .max(1000, 'must be at most 1000')
      .optional(),
  })
  .superRefine((spec, ctx) => {
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
  });

/** A validated service spec. */
export type ServiceSpec = z.infer<typeof serviceSchema>;
export type HealthSpec = z.infer<typeof healthSchema>;
export type ProbeSpec = z.infer<typeof probeSchema>;
