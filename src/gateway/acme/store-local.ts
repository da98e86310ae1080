/**
 * The ACME store of a single machine (the agent with the embedded registry, no etcd): certificates and the account
 * key as files of their own in `<state dir>/acme/` (folder 0700, files 0600: never in registry.json, which is 0644),
 * challenges and locks in memory, since one gateway is all there is.
 */
import { mkdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  accountKey,
  certificateKey,
  decodeAccount,
  decodeCertificate,
  encodeAccount,
  encodeCertificate,
  type StoredAccount,
  type StoredCertificate,
} from '../../registry/acme-keys.js';
import { writeFileAtomic } from '../../shared/atomic-file.js';
import type { AcmeLock, AcmeStore } from './store.js';

/** The local store in `directory` (created 0700). */
export class LocalAcmeStore implements AcmeStore {
  private readonly certificates = new Map<string, StoredCertificate>();
  private readonly challenges = new Map<string, string>();
  private readonly locked = new Set<string>();
  private readonly watchers = new Set<(certificates: ReadonlyMap<string, StoredCertificate>) => void>();
  private loaded: Promise<void>;

  constructor(private readonly directory: string) {
    mkdirSync(join(directory, 'certs'), { recursive: true, mode: 0o700 });
    mkdirSync(join(directory, 'accounts'), { recursive: true, mode: 0o700 });
    this.loaded = this.load();
  }

  watchCertificates(onChange: (certificates: ReadonlyMap<string, StoredCertificate>) => void): () => void {
    this.watchers.add(onChange);
    void this.loaded.then(() => this.watchers.has(onChange) && onChange(new Map(this.certificates)));
    return () => void this.watchers.delete(onChange);
  }

  keyAuthorization(token: string): string | undefined {
    return this.challenges.get(token);
  }

  async account(directory: string): Promise<StoredAccount | undefined> {
    const text = await readFile(this.fileOf('accounts', accountKey(directory)), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : decodeAccount(text);
  }

  async saveAccount(account: StoredAccount): Promise<void> {
    await writeFileAtomic(this.fileOf('accounts', accountKey(account.directory)), encodeAccount(account), 0o600);
  }

  async lock(hostname: string): Promise<AcmeLock | undefined> {
    certificateKey(hostname); // checks the hostname as the etcd store's keys do
    if (this.locked.has(hostname)) return undefined;
    this.locked.add(hostname);
    const tokens = new Set<string>();
    const lost = new AbortController();
    return {
      hostname,
      lost: lost.signal,
      putChallenge: async (token, keyAuthorization) =>
        void (tokens.add(token), this.challenges.set(token, keyAuthorization)),
      deleteChallenge: async (token) => void (tokens.delete(token), this.challenges.delete(token)),
      storeCertificate: async (certificate) => {
        if (!this.locked.has(hostname)) return false;
        const file = this.fileOf('certs', certificateKey(hostname));
        await writeFileAtomic(file, encodeCertificate(certificate), 0o600);
        this.certificates.set(hostname, certificate);
        this.notify();
        return true;
      },
      release: async () => {
        for (const token of tokens) this.challenges.delete(token);
        this.locked.delete(hostname);
      },
    };
  }

  async close(): Promise<void> {
    this.watchers.clear();
  }

  private async load(): Promise<void> {
    const folder = join(this.directory, 'certs');
    for (const name of await readdir(folder).catch(() => [])) {
      const certificate = decodeCertificate(await readFile(join(folder, name), 'utf8').catch(() => ''));
      if (certificate !== undefined) this.certificates.set(certificate.hostname, certificate);
    }
  }

  private notify(): void {
    const snapshot = new Map(this.certificates);
    for (const watcher of [...this.watchers]) watcher(snapshot);
  }

  /** `<directory>/<kind>/<last segment of the registry key>.json`: one layout of names for both stores. */
  private fileOf(kind: 'certs' | 'accounts', key: string): string {
    return join(this.directory, kind, `${key.slice(key.lastIndexOf('/') + 1)}.json`);
  }
}
