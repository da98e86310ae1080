/**
 * packaging/grafana/rundock.json queries only metrics rundock defines (src/**): a renamed metric fails here, not in
 * an operator's empty panel. Every component (agent, DNS, gateway) has panels, and every panel uses the data source
 * variable.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Panel {
  type: string;
  title: string;
  id: number;
  datasource?: { uid?: string };
  targets?: { expr: string; datasource?: { uid?: string } }[];
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Metric names as defined in code: `name: 'rundock_...'` (prom-client) and DurationHistogram's first argument. */
function definedMetrics(): Set<string> {
  const names = new Set<string>();
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/name: '(rundock_[a-z_]+)'/g)) names.add(m[1] ?? '');
    for (const m of text.matchAll(/new DurationHistogram\(\s*'(rundock_[a-z_]+)'/g)) names.add(m[1] ?? '');
  }
  return names;
}

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'packaging/grafana/rundock.json'), 'utf8')) as {
    uid: string;
    panels: Panel[];
  };
  const panels = dashboard.panels.filter((p) => p.type !== 'row');

  it('queries only metrics rundock defines', () => {
    const defined = definedMetrics();
    assert.ok(defined.has('rundock_agent_registry_connected') && defined.has('rundock_dns_query_duration_seconds'));
    const used = panels.flatMap((p) => (p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/rundock_[a-z_]+/g)]));
    const unknown = used.map((m) => m[0].replace(/_(bucket|sum|count)$/, '')).filter((name) => !defined.has(name));
    assert.deepEqual([...new Set(unknown)], []);
    const components = new Set(used.map((m) => m[0].split('_')[1]));
    assert.deepEqual([...components].sort(), ['agent', 'dns', 'gateway']);
  });

  it("shows each hostname's certificate expiry and the ACME orders", () => {
    const panelOf = (metric: string): Panel | undefined =>
      panels.find((p) => (p.targets ?? []).some((t) => t.expr.includes(metric)));
    assert.equal(panelOf('rundock_gateway_certificate_expiry_seconds')?.title, 'Certificate expiry');
    assert.equal(panelOf('rundock_gateway_acme_order_failing')?.title, 'Certificate orders');
  });

  it('has unique panel ids and uses the data source variable everywhere', () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const p of panels) {
      assert.equal(p.datasource?.uid, '${datasource}', p.title);
      assert.ok((p.targets ?? []).length > 0, p.title);
      for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, '${datasource}', p.title);
    }
  });
});
