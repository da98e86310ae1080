import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordKey } from '../registry/path.js';
import { encodeRecord } from '../registry/record.js';
import { gatewayRenderOptions } from './options.js';
import { snapshotFromRecords } from './snapshot.js';
import { renderConfig, templateContext } from './template-context.js';
import { compileTemplate, TemplateError } from './template.js';

const DOMAIN = 's.prod.example.com';

function throwsAtLine(source: string, line: number, pattern: RegExp, context: Record<string, never> = {}): void {
  assert.throws(
    () => compileTemplate(source).render(context),
    (error: unknown) => error instanceof TemplateError && error.line === line && pattern.test(error.message),
  );
}

describe('compileTemplate', () => {
  it('inserts values, repeats sections over lists, shows inverted sections for empty ones', () => {
    const template = compileTemplate(
      '{{! a comment }}{{#items}}[{{name}}:{{#on}}on{{/on}}{{^on}}off{{/on}} in {{title}}]{{/items}}{{^none}}none{{/none}}{{#tags}}<{{.}}>{{/tags}}',
    );
    const text = template.render({
      title: 'T',
      items: [
        { name: 'a', on: true },
        { name: 'b', on: false },
      ],
      none: [],
      tags: ['x', 'y'],
    });
    assert.equal(text, '[a:on in T][b:off in T]none<x><y>');
  });

  it('fails with the line for unknown names, unbalanced sections and unsupported tags', () => {
    throwsAtLine('ok\n{{nope}}', 2, /unknown name "nope"/);
    throwsAtLine('{{#a}}\n\n{{/b}}', 3, /closes \{\{#a\}\}/);
    throwsAtLine('x\n{{#a}}', 2, /never closed/);
    throwsAtLine('{{/a}}', 1, /no open section/);
    throwsAtLine('{{> partial}}', 1, /not a name/);
    throwsAtLine('{{{raw}}}', 1, /not a name/);
    throwsAtLine('a\nb {{oops', 2, /without \}\}/);
  });

  it('refuses to print a list or group as a value', () => {
    assert.throws(() => compileTemplate('{{items}}').render({ items: [] }), /is a list/);
  });
});

describe('templateContext and renderConfig', () => {
  const records: [string, string][] = [
    [recordKey(DOMAIN, 'grafana', 'node-back-1'), encodeRecord({ host: '10.0.0.5', port: 8087 })],
    [recordKey(DOMAIN, 'grafana', 'node-back-2'), encodeRecord({ host: '10.0.0.6', port: 8087, weight: 2 })],
  ];
  const { snapshot } = snapshotFromRecords(DOMAIN, records);
  const options = gatewayRenderOptions({
    domain: DOMAIN,
    upstreams: ['grafana=docker_grafana', 'api'],
    routes: ['grafana.example.com=grafana'],
  });

  it('gives every service with its servers, empty ones flagged, and the routes', () => {
    const context = templateContext(snapshot, options);
    assert.deepEqual(context.services, [
      { service: 'api', upstream: 'rundock_api', empty: true, servers: [] },
      {
        service: 'grafana',
        upstream: 'docker_grafana',
        empty: false,
        servers: [
          { address: '10.0.0.5:8087', host: '10.0.0.5', port: 8087, instance: 'node-back-1', weight: '' },
          { address: '10.0.0.6:8087', host: '10.0.0.6', port: 8087, instance: 'node-back-2', weight: 2 },
        ],
      },
    ]);
    assert.deepEqual(context.routes, [
      { hostname: 'grafana.example.com', path: '/', service: 'grafana', upstream: 'docker_grafana', https: false },
    ]);
    assert.match(context.upstream_blocks as string, /^upstream docker_grafana \{$/m);
    assert.doesNotMatch(context.upstream_blocks as string, /server_name/);
    assert.match(context.route_blocks as string, /server_name grafana\.example\.com;/);
  });

  it('renders a user template into the exact text', () => {
    const template = compileTemplate(
      [
        '{{#services}}upstream {{upstream}} {',
        '{{#servers}}    server {{address}}{{#weight}} weight={{weight}}{{/weight}};',
        '{{/servers}}{{#empty}}    server 127.0.0.1:1 down;',
        '{{/empty}}}',
        '{{/services}}',
      ].join('\n'),
    );
    assert.equal(
      renderConfig(snapshot, options, [], template),
      [
        'upstream rundock_api {',
        '    server 127.0.0.1:1 down;',
        '}',
        'upstream docker_grafana {',
        '    server 10.0.0.5:8087;',
        '    server 10.0.0.6:8087 weight=2;',
        '}',
        '',
      ].join('\n'),
    );
  });
});
