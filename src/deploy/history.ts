/**
 * What ran when: every deploy that changed a service's container on this host, kept as generations in
 * `<state dir>/services/<name>.json` (written atomically, survives reboots), so that `rundock rollback` can deploy the
 * previous one again and `rundock history` can list them. A generation keeps the spec as given: env file paths and
 * the names of inherited `-e KEY` variables, never their values.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { writeFileAtomicSync } from '../shared/atomic-file.js';
import { RundockError } from '../shared/errors.js';
import type { ServiceSpec } from '../service-spec/schema.js';
import { readJson } from '../shared/json.js';

/** How many generations are kept per service. */
const KEEP = 20;

const generationSchema = z.object({
  generation: z.int(),
  deployed_at: z.string(),
  image: z.string(),
  image_id: z.string(),
  spec_hash: z.string(),
  container: z.string(),
  /** `deployed`, or `reverted` when the new container never served and the old one was kept. */
  result: z.enum(['deployed', 'reverted']),
  /** The error code of a reverted deploy. */
  error: z.optional(z.string()),
  /** The generation a rollback returned to. */
  rollback_of: z.optional(z.int()),
  spec: z.record(z.string(), z.unknown()),
});

export type Generation = z.infer<typeof generationSchema>;

const fileSchema = z.object({ service: z.string(), generations: z.array(generationSchema) });

/** The generations of every service deployed from this host, in a directory of its own. */
export class History {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'services');
  }

  /**
   * The service's generations, oldest first; none for a service never deployed. A file that cannot be read or holds
   * no history is an error naming it (RUNDOCK_E_HISTORY), never an empty history: that would drop every rollback target.
   */
  read(service: string): Generation[] {
    const file = this.file(service);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw unusable(service, file, (error as Error).message, error);
    }
    const read = readJson(fileSchema, text);
    if (!read.ok)
      throw unusable(service, file, read.reason.startsWith('not JSON') ? read.reason : `not a history: ${read.reason}`);
    return read.value.generations;
  }

  /** Appends a generation (numbered after the last one) and returns it. Throws when the file cannot be written. */
  record(
    service: string,
    entry: Omit<Generation, 'generation' | 'deployed_at'> & { spec: Readonly<ServiceSpec> },
  ): Generation {
    const generations = this.read(service);
    const generation: Generation = {
      ...entry,
      spec: { ...entry.spec },
      generation: (generations.at(-1)?.generation ?? 0) + 1,
      deployed_at: new Date().toISOString(),
    };
    this.write(service, [...generations, generation].slice(-KEEP));
    return generation;
  }

  /** The latest deployed generation that differs from what runs now (spec hash and image ID), if any. */
  previous(service: string, current: { spec_hash: string; image_id: string } | undefined): Generation | undefined {
    const deployed = this.read(service).filter((g) => g.result === 'deployed');
    const isCurrent = (g: Generation): boolean => g.spec_hash === current?.spec_hash && g.image_id === current.image_id;
    const at = deployed.findLastIndex(isCurrent);
    return deployed.slice(0, at < 0 ? deployed.length : at).findLast((g) => !isCurrent(g));
  }

  private write(service: string, generations: Generation[]): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file(service);
    writeFileAtomicSync(file, `${JSON.stringify({ service, generations }, null, 2)}\n`, 0o600);
  }

  private file(service: string): string {
    return join(this.dir, `${service}.json`);
  }
}

function unusable(service: string, file: string, why: string, cause?: unknown): RundockError {
  return new RundockError(
    'RUNDOCK_E_HISTORY',
    `the history of ${service} (${file}) cannot be used: ${why}; restore the file, or move it aside to start a new ` +
      'history (its generations are then no rollback target)',
    { cause, details: { service, file } },
  );
}
