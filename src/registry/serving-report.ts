/**
 * What a gateway reports after each nginx reload: the servers of every service it renders, kept in the registry at
 * `/rundock/gateways/<host>` on the gateway's lease (docs/records.md). A redeploy waits on these reports: the old
 * container is withdrawn only once every gateway serves the new one.
 */
import * as z from 'zod';
import { decodeJson } from '../shared/json.js';

const reportSchema = z.object({
  host: z.string(),
  /** The registry revision of the records the gateway rendered (etcd's revision; the embedded registry's serial). */
  revision: z.number(),
  /** When nginx was reloaded with them, RFC 3339. */
  applied_at: z.string(),
  /** Each rendered service's servers, `ip:port` (IPv6 in brackets), as nginx has them. */
  services: z.record(z.string(), z.array(z.string())),
  /** Each routed hostname's certificate as nginx serves it (never a key); absent from gateways before routes. */
  certificates: z.optional(
    z.array(
      z.object({
        hostname: z.string(),
        /** `acme`, `brought` or `none` (plain HTTP). */
        source: z.string(),
        state: z.string(),
        serial: z.optional(z.string()),
        not_after: z.optional(z.string()),
      }),
    ),
  ),
});

export type ServingReport = z.infer<typeof reportSchema>;

/** The report's registry value: one line of JSON. */
export function encodeServingReport(report: ServingReport): string {
  return JSON.stringify(report);
}

/** A report read from the registry, or undefined when the value is not one. */
export function decodeServingReport(text: string): ServingReport | undefined {
  return decodeJson(reportSchema, text);
}
