// The git commit a build comes from, baked into the bundle so `rundock --version` can name it. Outside a checkout
// (a build from an unpacked tarball) there is none; RUNDOCK_BUILD_COMMIT names one explicitly.
import { execFileSync } from 'node:child_process';

/**
 * `abc123def456` or `abc123def456-modified` (uncommitted changes to tracked files), or '' outside a checkout.
 * @param {string} root the folder of package.json, with a trailing slash
 * @returns {string}
 */
export function buildCommit(root) {
  if (process.env.RUNDOCK_BUILD_COMMIT !== undefined) return process.env.RUNDOCK_BUILD_COMMIT;
  /** @type {(...args: string[]) => string} */
  const git = (...args) =>
    execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    if (git('rev-parse', '--show-toplevel') !== root.replace(/\/$/, '')) return '';
    const commit = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? commit : `${commit}-modified`;
  } catch {
    return '';
  }
}
