/** Helpers for the web UI's tests: a `rundock ui` child process, a headless Chromium. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { waitFor } from '../agent-process.js';
import { rundockArgv } from '../harness.js';

export interface UiProcess {
  logs(): string;
  stop(): Promise<void>;
}

/** Starts `rundock ui ARGS...` and resolves once `url`/healthz answers (with `headers`, e.g. the token). */
export async function startUiProcess(
  args: readonly string[],
  url: string,
  headers: Record<string, string> = {},
): Promise<UiProcess> {
  const child = spawn(...rundockArgv(['ui', ...args]), {
    env: { ...process.env, RUNDOCK_CONFIG: '/dev/null', RUNDOCK_LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let logs = '';
  child.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ui: UiProcess = {
    logs: () => logs,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`rundock ui exited with ${child.exitCode}:\n${logs}`);
        return fetch(new URL('/healthz', url), { headers }).then(
          (r) => r.ok,
          () => false,
        );
      },
      15_000,
      50,
    );
  } catch (error) {
    await ui.stop();
    throw error;
  }
  return ui;
}

/** Debian's Chromium, headless, with a fresh profile (browser downloads do not work here, so never Playwright's own). */
export async function openBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'rundock-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.RUNDOCK_TEST_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
