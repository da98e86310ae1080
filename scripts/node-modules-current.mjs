// Exit status 0 when node_modules holds exactly what package-lock.json asks for, so `npm ci` (which deletes and
// reinstalls every package) can be skipped; 1 otherwise, saying why. npm keeps what it installed in
// node_modules/.package-lock.json: every package there must be the lockfile's, with the same version and integrity,
// and every package of the lockfile must be there, but for optional ones of other platforms that npm skipped.
import { readFileSync } from 'node:fs';

const read = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')).packages ?? {};
  } catch {
    return undefined;
  }
};
const wanted = read('package-lock.json');
const installed = read('node_modules/.package-lock.json');
const stale = (why) => {
  process.stdout.write(`node_modules does not match package-lock.json: ${why}\n`);
  process.exit(1);
};
if (wanted === undefined) stale('no package-lock.json');
if (installed === undefined) stale('nothing installed yet');
for (const [path, entry] of Object.entries(installed)) {
  const lock = wanted[path];
  if (lock === undefined) stale(`${path} is not in the lockfile`);
  if (lock.version !== entry.version || lock.integrity !== entry.integrity) stale(`${path} differs`);
}
for (const [path, entry] of Object.entries(wanted)) {
  if (path !== '' && installed[path] === undefined && entry.optional !== true) stale(`${path} is missing`);
}
