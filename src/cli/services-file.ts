import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { prepareService, type HostContext, type PreparedService } from '../deploy/prepare.js';
import { RundockError, ValidationError, ValidationErrors } from '../shared/errors.js';
import { validateService } from '../service-spec/validate.js';

/** One entry of a services file, with the place errors name it by: `services.web.` (or `services[2].` without a name). */
export interface ServiceEntry {
  where: string;
  raw: unknown;
}

/**
 * Reads `services:` (a list of specs with `name`, or a mapping from name to spec) from a YAML file, `-` for standard
 * input. A missing file, text that is not YAML and a document of another shape are RUNDOCK_E_CONFIG (exit 2).
 */
export function readServicesFile(file: string): ServiceEntry[] {
  const doc = parseDocument(file, readText(file));
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new ValidationError(file, doc, 'must be a mapping with a services key', 'RUNDOCK_E_CONFIG');
  const { services, ...rest } = doc as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined)
    throw new ValidationError(extra, rest[extra], 'is not a known top-level key (only services)', 'RUNDOCK_E_CONFIG');
  if (Array.isArray(services)) {
    return services.map((raw: unknown, i) => {
      const name = (raw as { name?: unknown } | null)?.name;
      // Named by the service where the name reads as one word; `services[i].` otherwise.
      return {
        where: typeof name === 'string' && /^[^.\s[\]]+$/.test(name) ? `services.${name}.` : `services[${i}].`,
        raw,
      };
    });
  }
  if (services !== null && typeof services === 'object') {
    return Object.entries(services as Record<string, unknown>).map(([name, spec]) => ({
      where: `services.${name}.`,
      raw: spec === null ? { name } : typeof spec === 'object' ? { name, ...spec } : spec,
    }));
  }
  throw new ValidationError('services', services, 'must be a list or a mapping of services', 'RUNDOCK_E_CONFIG');
}

function readText(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a directory'
          : `cannot be read (${code ?? String(error)})`;
    throw new RundockError('RUNDOCK_E_CONFIG', `${file === '-' ? 'standard input' : file} ${why}`, {
      cause: error,
      details: { field: 'file', value: file },
    });
  }
}

function parseDocument(file: string, text: string): unknown {
  try {
    return parseYaml(text);
  } catch (error) {
    throw new RundockError('RUNDOCK_E_CONFIG', `${file} is not valid YAML: ${(error as Error).message}`, {
      cause: error,
      details: { field: 'file', value: file },
    });
  }
}

/**
 * Validates and prepares every entry before any is applied, so one bad entry changes nothing; every error of the
 * file is reported at once (a ValidationErrors), each naming its service and field.
 */
export function prepareAll(entries: readonly ServiceEntry[], host: HostContext): PreparedService[] {
  const errors: ValidationError[] = [];
  const prepared: PreparedService[] = [];
  const seen = new Set<string>();
  for (const { where, raw } of entries) {
    try {
      const p = prepareEntry(raw, where, host);
      if (seen.has(p.spec.name))
        errors.push(new ValidationError(`${where}name`, p.spec.name, 'appears twice in the file'));
      seen.add(p.spec.name);
      prepared.push(p);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      errors.push(...ValidationErrors.flatten(error));
    }
  }
  const error = ValidationErrors.of(errors);
  if (error !== undefined) throw error;
  return prepared;
}

function prepareEntry(raw: unknown, where: string, host: HostContext): PreparedService {
  const spec = validateService(raw, where);
  try {
    return prepareService(spec, host);
  } catch (error) {
    throw error instanceof ValidationError && !error.field.startsWith(where) ? error.within(where) : error;
  }
}
