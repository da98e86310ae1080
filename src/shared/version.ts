import { readFileSync } from 'node:fs';

// From the bundle (dist/rundock.mjs) package.json is one level up; from the sources (src/shared) two.
const packageJson = new URL(import.meta.url.endsWith('.mjs') ? '../package.json' : '../../package.json', import.meta.url);

/** rundock's version, from package.json. */
export const VERSION: string = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
