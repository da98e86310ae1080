import { readFileSync } from 'node:fs';

/** Set by the bundler (build/bundle.mjs); absent when running from the sources. */
declare const RUNDOCK_VERSION: string | undefined;
/** The git commit the bundle was built from (build/version.mjs): '' outside a checkout; absent in the sources. */
declare const RUNDOCK_COMMIT: string | undefined;

/** rundock's version, from package.json. */
export const VERSION: string =
  typeof RUNDOCK_VERSION === 'string'
    ? RUNDOCK_VERSION
    : (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The commit of the build (`abc123def456`, `-modified` when the checkout had uncommitted changes), or undefined. */
export const COMMIT: string | undefined =
  typeof RUNDOCK_COMMIT === 'string' && RUNDOCK_COMMIT !== '' ? RUNDOCK_COMMIT : undefined;

/** What `rundock --version` prints: `0.1.0`, or `0.1.0 (commit abc123def456)` for a build from a checkout. */
export function versionText(version: string = VERSION, commit: string | undefined = COMMIT): string {
  return commit === undefined ? version : `${version} (commit ${commit})`;
}
