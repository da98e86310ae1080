/**
 * The web UI in a real browser (Debian's Chromium, driven by playwright-core): a service deployed with the real
 * dockerd shows up with its health, address, DNS names and gateway; `docker kill` shows it withdrawn within 2 s,
 * without a reload; the page fits a phone and names its controls. Keeps a screenshot in test-output/ui.png
 * (RUNDOCK_UPDATE_SCREENSHOT=1 writes docs/ui.png instead, the one the README shows).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import type { Page } from 'playwright-core';
import { startAgent, type AgentProcess } from '../agent-process.js';
import { ADDRESSES, docker, freePort, httpdCmd, IMAGE, removeContainers, rundockJson, uniqueName } from '../harness.js';
import { startEtcd, type EtcdProcess } from '../registry/etcd-process.js';
import { openBrowser, startUiProcess, type UiProcess } from './ui-process.js';

const DOMAIN = 's.ui.example.com';
const HOST = 'ui-node-1';
const SCREENSHOT = fileURLToPath(
  new URL(
    process.env.RUNDOCK_UPDATE_SCREENSHOT === '1' ? '../../../docs/ui.png' : '../../../test-output/ui.png',
    import.meta.url,
  ),
);
const HEALTH = ['--health-cmd', 'wget -q -O /dev/null http://127.0.0.1:8080/', '--health-interval', '1s'];
const names = { web: uniqueName('ui-test'), killed: uniqueName('ui-test') };
const ports = { web: 0, killed: 0 };

async function deploy(name: string, port: number): Promise<void> {
  const args = ['enable', name, '--image', IMAGE, '--cmd', httpdCmd(), '--announce', String(port), '--port', '8080'];
  const result = await rundockJson([...args, ...HEALTH, ...ADDRESSES]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
}

const row = (name: string, announced?: boolean): string =>
  `li.service[data-service="${name}"]${announced === undefined ? '' : `[data-announced="${announced}"]`}`;
const text = async (page: Page, selector: string): Promise<string> =>
  ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim();

describe('web UI in headless Chromium (etcd, rundock ui)', () => {
  let etcd: EtcdProcess;
  let client: Etcd3;
  let agent: AgentProcess;
  let ui: UiProcess;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let page: Page;
  let url = '';

  before(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoint });
    agent = await startAgent(['--etcd', etcd.endpoint, '--domain', DOMAIN, '--hostname', HOST, ...ADDRESSES]);
    url = `http://127.0.0.1:${await freePort()}/`;
    ui = await startUiProcess(['--etcd', etcd.endpoint, '--domain', DOMAIN, '--listen', new URL(url).host], url);
    browser = await openBrowser();
    page = await browser.context.newPage();
    [ports.web, ports.killed] = [await freePort(), await freePort()];
  });
  after(async () => {
    await browser?.close();
    await ui?.stop();
    await agent?.stop('SIGKILL');
    client?.close();
    await etcd?.kill();
    await removeContainers(names.web, names.killed);
  });

  it('lists a deployed service with its health, address, DNS names and gateway, live', async () => {
    await page.goto(url);
    await page.waitForSelector('.connection.live', { timeout: 5000 });
    await page.waitForSelector(`article.host[data-host="${HOST}"]`, { timeout: 5000 });
    // Marks this document: a reload would lose the mark.
    await page.evaluate(() => document.documentElement.setAttribute('data-test-document', 'first'));
    await Promise.all([deploy(names.web, ports.web), deploy(names.killed, ports.killed)]);
    await page.waitForSelector(row(names.killed, true), { timeout: 15_000 });
    await page.waitForSelector(row(names.web, true), { timeout: 15_000 });
    const killed = row(names.killed);
    assert.equal(await text(page, `${killed} .health`), 'healthy');
    assert.equal(await text(page, `${killed} .address`), `127.0.0.1:${ports.killed}`);
    assert.equal(await text(page, `${killed} .image`), IMAGE);
    assert.equal(await text(page, `${killed} .dns`), `${names.killed}.${DOMAIN} ${HOST}.${names.killed}.${DOMAIN}`);
    assert.equal(await text(page, `${killed} .gateways`), 'none');
    await page.waitForSelector(`.event-list li[data-kind="announced"][data-service="${names.killed}"]`);
    // What a gateway reports (the gateway writes it; here the test does): the page says which one serves it.
    const services = { [names.web]: [`127.0.0.1:${ports.web}`], [names.killed]: [] };
    const report = { host: 'ui-gw-1', revision: 1, applied_at: new Date().toISOString(), services };
    await client.put('/rundock/gateways/ui-gw-1').value(JSON.stringify(report));
    await page.waitForSelector(`${row(names.web)} .gateways:text-is("ui-gw-1")`, { timeout: 2000 });
    assert.equal(await text(page, '.gateways-list li[data-gateway="ui-gw-1"] strong'), 'ui-gw-1');
  });

  it('shows a killed container withdrawn within 2 s, without a reload', async (t) => {
    // Where the time goes, for the failure message: the kill request, the agent's write to etcd, the page.
    const watcher = await client.watch().key(`/rundock/hosts/${HOST}`).create();
    const times: Record<string, number> = {};
    watcher.on('put', (kv) => {
      const record = JSON.parse(kv.value.toString()) as { services: { service: string; announced: boolean }[] };
      if (record.services.some((s) => s.service === names.killed && !s.announced)) times.registry ??= since();
    });
    const started = Date.now();
    const since = (): number => Date.now() - started;
    await docker.getContainer(names.killed).kill();
    times.killed = since();
    await page.waitForSelector(row(names.killed, false), { timeout: 10_000 });
    times.row = since();
    await page.waitForSelector(`.event-list li[data-kind="withdrawn"][data-service="${names.killed}"]`);
    times.event = since();
    await watcher.cancel();
    const waited = Math.max(times.row, times.event);
    t.diagnostic(`ms after docker kill: ${JSON.stringify(times)}`);
    assert.ok(waited <= 2000, `withdrawn on the page ${waited} ms after docker kill: ${JSON.stringify(times)} (ms)`);
    assert.equal(await page.getAttribute('html', 'data-test-document'), 'first', 'the page was reloaded');
    assert.equal(await text(page, `${row(names.killed)} .badge`), 'not announced');
    assert.equal(await text(page, `${row(names.killed)} .address`), '—');
    assert.equal(await text(page, `${row(names.killed)} .dns`), 'no record');
    assert.equal(await text(page, `${row(names.web)} .badge`), 'announced', 'the other service stays');
    // Other tests' containers on this dockerd are listed too; the screenshot keeps to this test's own.
    await page.getByRole('searchbox', { name: 'Filter' }).fill('ui-test-');
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.getByRole('searchbox', { name: 'Filter' }).fill('');
  });

  it('filters by name and by problems, fits a phone-sized screen, and names every control', async () => {
    const filter = page.getByRole('searchbox', { name: 'Filter' });
    const problems = page.getByRole('checkbox', { name: 'Only problems' });
    assert.equal(await filter.count(), 1);
    assert.equal(await problems.count(), 1);
    await filter.fill(names.web);
    await page.waitForSelector(row(names.killed), { state: 'detached', timeout: 2000 });
    assert.equal(await page.locator(row(names.web)).count(), 1);
    await filter.fill('');
    await problems.check();
    await page.waitForSelector(row(names.web), { state: 'detached', timeout: 2000 });
    assert.equal(await page.locator(row(names.killed)).count(), 1);
    await problems.uncheck();
    const unnamed = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input, button, select, textarea, a[href]'))
        .filter((el) => {
          const labels = (el as HTMLInputElement).labels;
          const named = (labels !== null && labels !== undefined && labels.length > 0) || el.hasAttribute('aria-label');
          return !named && (el.textContent ?? '').trim() === '';
        })
        .map((el) => el.outerHTML),
    );
    assert.deepEqual(unnamed, []);
    await page.setViewportSize({ width: 375, height: 812 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 375 px screen`);
    assert.ok(await page.locator(row(names.web)).isVisible());
  });
});
