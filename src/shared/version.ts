import { readFileSync } from 'node:fs';

/** Set by the bundler (build/bundle.mjs); absent when running from the sources. */
declare const RUNDOCK_VERSION: string | undefined;

/** rundock's version, from package.json. */
export const VERSION: string =
  typeof RUNDOCK_VERSION === 'string'
    ? RUNDOCK_VERSION
    : (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
