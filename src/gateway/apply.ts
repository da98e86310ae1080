/**
 * Applies rendered text to nginx: unchanged text does nothing; new text is installed through `nginx -t`
 * (ConfigFile.install) and nginx reloaded. A reload that failed is retried on the next apply even when the text
 * has not changed since, because the file on disk is then ahead of what nginx serves.
 */
import { performance } from 'node:perf_hooks';
import type { ConfigFile } from './config-file.js';
import type { NginxControl } from './nginx.js';

/** What one apply did. Times are milliseconds. */
export type ApplyResult =
  | { readonly outcome: 'unchanged' }
  /** `nginx -t` failed with the new text; the previous file is back in place, nothing reloaded. */
  | { readonly outcome: 'invalid'; readonly output: string; readonly testMs: number }
  /** The file could not be written or nginx could not run; the previous file is back in place. */
  | { readonly outcome: 'error'; readonly error: unknown }
  /** The new file passed and stays, but nginx was not (seen to be) reloaded; the next apply reloads again. */
  | { readonly outcome: 'reload_failed'; readonly error: unknown; readonly testMs: number }
  /**
   * Tested (unless only a pending reload was retried) and reloaded; `confirmed` when the new workers were seen to
   * take over (`workersStartedMs` after the signal they appeared; `reloadMs` until the old ones stopped accepting).
   */
  | {
      readonly outcome: 'reloaded';
      readonly confirmed: boolean;
      readonly testMs: number;
      readonly reloadMs: number;
      readonly workersStartedMs?: number | undefined;
    };

/** Installs, tests and reloads, remembering the last text nginx accepted. */
export class ConfigApplier {
  private applied: string | undefined;
  private pending = false;

  constructor(
    private readonly file: ConfigFile,
    private readonly nginx: Pick<NginxControl, 'test' | 'reload'>,
  ) {}

  /** True while the file on disk is newer than what nginx was last seen to load. */
  get reloadPending(): boolean {
    return this.pending;
  }

  /** Applies `text`; never throws (every failure is a result). */
  async apply(text: string): Promise<ApplyResult> {
    if (text === this.applied && !this.pending) return { outcome: 'unchanged' };
    let testMs = 0;
    if (text !== this.applied) {
      const started = performance.now();
      try {
        const result = await this.file.install(text, () => this.nginx.test());
        testMs = performance.now() - started;
        if (!result.ok) return { outcome: 'invalid', output: result.output, testMs };
      } catch (error) {
        return { outcome: 'error', error };
      }
      this.applied = text;
      this.pending = true;
    }
    const started = performance.now();
    try {
      const { confirmed, startedMs } = await this.nginx.reload();
      this.pending = false;
      return {
        outcome: 'reloaded',
        confirmed,
        testMs,
        reloadMs: performance.now() - started,
        workersStartedMs: startedMs,
      };
    } catch (error) {
      return { outcome: 'reload_failed', error, testMs };
    }
  }
}
