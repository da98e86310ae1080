import { readFileSync } from 'node:fs';
import { ValidationError } from '../shared/errors.js';

/**
 * Reads a file in `docker run --env-file` format: KEY=VALUE lines taken literally, `#` comments and blank lines
 * skipped, and a bare KEY taking its value from rundock's environment (skipped when unset), as docker does.
 * The values are secrets: errors name the file, the line and at most the variable name, never a value.
 */
export function readEnvFile(path: string, field: string, env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ValidationError(field, path, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const entries: string[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq === -1 ? line.trimEnd() : line.slice(0, eq);
    if (key === '' || /\s/.test(key)) {
      // Only text before a `=` is a name and may be shown; a line without one may be a pasted secret value.
      const what =
        eq === -1
          ? 'a line that is neither KEY=VALUE nor a variable name'
          : `a bad variable name ${JSON.stringify(key)}`;
      throw new ValidationError(field, `${path}:${index + 1}`, `has ${what}`);
    }
    if (eq !== -1) entries.push(line);
    else if (env[key] !== undefined) entries.push(`${key}=${env[key]}`);
  }
  return entries;
}
