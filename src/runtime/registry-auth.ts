/**
 * Registry credentials for pulls, found where `docker login` leaves them, as the docker CLI finds them: the config
 * file `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`), per registry a credential helper
 * (`credHelpers`), else the default store (`credsStore`), else the `auths` entry (base64 `user:password`, or an
 * identity token). A helper is the program `docker-credential-NAME`, run without a shell, the registry's address on
 * its stdin. Nothing found: the pull goes anonymous, as with the docker CLI.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RundockError } from '../shared/errors.js';

/** What dockerode sends as X-Registry-Auth. */
export type AuthConfig =
  { username: string; password: string; serveraddress: string } | { identitytoken: string; serveraddress: string };

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Docker Hub's key in config.json and for credential helpers. */
const DOCKER_HUB = 'https://index.docker.io/v1/';
const HELPER_TIMEOUT_MS = 30_000;

/** The registry an image reference pulls from: its first component when it names a host, else Docker Hub. */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash === -1) return DOCKER_HUB;
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : DOCKER_HUB;
}

/** The credentials for pulling `image`, or undefined to pull anonymously. */
export async function pullAuth(image: string, env: NodeJS.ProcessEnv = process.env): Promise<AuthConfig | undefined> {
  const file = join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  let config: DockerConfig;
  try {
    config = JSON.parse(await readFile(file, 'utf8')) as DockerConfig;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RundockError(
      'RUNDOCK_E_CONFIG',
      `${file} cannot be read as Docker's config: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const registry = registryOf(image);
  const helper = config.credHelpers?.[registry] ?? config.credsStore;
  if (helper !== undefined) {
    const fromHelper = await askHelper(helper, registry, env);
    if (fromHelper !== undefined) return fromHelper;
  }
  const entry = Object.entries(config.auths ?? {}).find(([key]) => hostOf(key) === hostOf(registry))?.[1];
  if (entry === undefined) return undefined;
  if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: registry };
  const [username = '', password = ''] = entry.auth
    ? splitOnce(Buffer.from(entry.auth, 'base64').toString('utf8'), ':')
    : [entry.username, entry.password];
  return username === '' ? undefined : { username, password, serveraddress: registry };
}

/** Runs `docker-credential-NAME get`; undefined when it has no credentials for the registry. */
async function askHelper(name: string, registry: string, env: NodeJS.ProcessEnv): Promise<AuthConfig | undefined> {
  const program = `docker-credential-${name}`;
  // Loaded when a helper is asked: every other command starts without it (docs/BENCHMARKS.md, CLI start-up).
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = execFile(program, ['get'], { env, timeout: HELPER_TIMEOUT_MS }, (error, stdout) => {
      if (error === null) {
        try {
          const answer = JSON.parse(stdout) as { Username?: string; Secret?: string };
          if (answer.Username === '<token>')
            return resolve({ identitytoken: answer.Secret ?? '', serveraddress: registry });
          return resolve({ username: answer.Username ?? '', password: answer.Secret ?? '', serveraddress: registry });
        } catch {
          return reject(helperError(program, registry, 'answered with something that is not JSON'));
        }
      }
      // The protocol's "no credentials for this server": pull anonymously, as the docker CLI does.
      if (/credentials not found/i.test(stdout)) return resolve(undefined);
      reject(
        helperError(
          program,
          registry,
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'is not installed'
            : `failed: ${stdout.trim() || error.message}`,
        ),
      );
    });
    child.stdin?.end(registry);
  });
}

function helperError(program: string, registry: string, what: string): RundockError {
  return new RundockError(
    'RUNDOCK_E_PULL_FAILED',
    `credential helper ${program} (for ${registry}, from Docker's config.json) ${what}`,
  );
}

/** `https://host/v1/` and `host` name the same registry. */
function hostOf(key: string): string {
  return key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}
