/**
 * The certificate files nginx reads: one pair per certificate in a folder of the gateway's own (0700), each file
 * 0600 and named after the certificate's fingerprint, so a new certificate is a new path (the config text changes
 * and nginx reloads; a key is never read beside the wrong certificate). Files no longer served are removed once
 * nginx reloaded without them.
 */
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../shared/atomic-file.js';
import type { ServedCertificate } from './render-routes.js';

const INSTALLED = /\.(crt|key)$/;

/** The folder of installed certificates. */
export class CertificateFiles {
  private readonly installed = new Set<string>();

  constructor(readonly directory: string) {}

  /** Installs a chain and its key (once per fingerprint) and gives their paths. */
  async install(hostname: string, fingerprint: string, chainPem: string, keyPem: string): Promise<ServedCertificate> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const base = join(this.directory, `${hostname.replace('*', '_')}.${fingerprint.slice(0, 16)}`);
    const served = { certFile: `${base}.crt`, keyFile: `${base}.key` };
    if (!this.installed.has(base)) {
      await writeFileAtomic(served.keyFile, keyPem, 0o600);
      await writeFileAtomic(served.certFile, chainPem, 0o600);
      this.installed.add(base);
    }
    return served;
  }

  /** Removes every installed file but those of `keep` (after nginx reloaded with exactly those). */
  async prune(keep: Iterable<ServedCertificate>): Promise<void> {
    const wanted = new Set([...keep].flatMap((c) => [c.certFile, c.keyFile]));
    const names = await readdir(this.directory).catch(() => [] as string[]);
    for (const name of names.filter((n) => INSTALLED.test(n))) {
      const path = join(this.directory, name);
      if (wanted.has(path)) continue;
      await unlink(path).catch(() => undefined);
      this.installed.delete(path.replace(INSTALLED, ''));
    }
  }
}
