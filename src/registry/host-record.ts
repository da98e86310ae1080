/**
 * The host record (/rundock/hosts/<host>, docs/records.md): what an agent writes about its host on its lease, and
 * what `ps --all` and the web UI read back. One schema for both sides: a reader checks what it reads, and unknown
 * fields are dropped, so nothing an agent adds later reaches a reader unseen.
 */
import * as z from 'zod/mini';
import { decodeJson } from '../shared/json.js';

/** Why a service is or is not announced; shown by `rundock ps`, the status endpoint and the host record. */
export const serviceStatusSchema = z.object({
  service: z.string(),
  container: z.string(),
  /** The image reference the service was deployed with. */
  image: z.string(),
  state: z.enum(['running', 'restarting', 'stopped']),
  /** Docker's health status, else the agent probe's verdict; absent without either. */
  health: z.optional(z.string()),
  restarts: z.int().check(z.minimum(0)),
  /** The new container of an overlapping redeploy, announced beside the service's current one. */
  successor: z.optional(z.boolean()),
  /** With restart_unhealthy: the agent's restarts of this container for failing its checks. */
  unhealthy_restarts: z.optional(z.int().check(z.minimum(0))),
  /** When the agent last restarted it for that, RFC 3339 UTC. */
  last_unhealthy_restart: z.optional(z.string()),
  /** Its public routes, `HOST[/PATH]` (the container's io.rundock.routes label). */
  routes: z.optional(z.array(z.string())),
  announced: z.boolean(),
  reason: z.string(),
  /** When the rule named in `reason` stops holding it back (a crash loop, uptime without health evidence), RFC 3339 UTC. */
  held_until: z.optional(z.string()),
  address: z.optional(z.string()),
});
export type ServiceStatus = z.infer<typeof serviceStatusSchema>;

/** The JSON of a host record, on the agent's lease: the key exists while the agent lives. */
export const hostRecordSchema = z.object({
  host: z.string(),
  addresses: z.object({ public: z.optional(z.string()), private: z.optional(z.string()) }),
  version: z.string(),
  started_at: z.string(),
  services: z.array(serviceStatusSchema),
});
export type HostRecord = z.infer<typeof hostRecordSchema>;

/** A host record from its JSON text, checked; undefined for text that is not one (never throws). */
export function decodeHostRecord(text: string): HostRecord | undefined {
  return decodeJson(hostRecordSchema, text);
}
