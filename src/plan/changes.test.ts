import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LABEL } from '../service-spec/labels.js';
import { specChanges } from './changes.js';
import { canonicalJson } from './canonical.js';

/** The labels of a container whose spec label holds `body`. */
const side = (
  body: Record<string, unknown>,
  imageId = 'sha256:a',
): { labels: Record<string, string>; imageId: string } => ({
  labels: { [LABEL.spec]: canonicalJson(body), [LABEL.specHash]: 'h' },
  imageId,
});

const base = {
  Image: 'web:1',
  Cmd: ['httpd'],
  Env: ['TOKEN', 'MODE=prod'],
  'rundock.env-digest': 'hmac-sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  HostConfig: {
    PortBindings: { '80/tcp': [{ HostIp: '10.0.0.2', HostPort: '8080' }] },
    RestartPolicy: { Name: 'unless-stopped' },
  },
  Labels: { [LABEL.service]: 'web', [LABEL.image]: 'web:1', [LABEL.announce]: '8080', [LABEL.port]: '80' },
};

describe('specChanges', () => {
  it('names each field that differs with its value before and after, image first', () => {
    const after = {
      ...base,
      Image: 'web:2',
      Env: ['TOKEN', 'MODE=test', 'NEW=1'],
      Healthcheck: { Test: ['CMD-SHELL', 'true'] },
      HostConfig: { ...base.HostConfig, PortBindings: { '80/tcp': [{ HostIp: '10.0.0.2', HostPort: '' }] } },
      Labels: { ...base.Labels, [LABEL.image]: 'web:2', [LABEL.announce]: 'auto' },
    };
    assert.deepEqual(specChanges(side(base), side(after, 'sha256:b')), [
      { field: 'image', before: 'web:1', after: 'web:2' },
      { field: 'image_id', before: 'sha256:a', after: 'sha256:b' },
      { field: 'env.MODE', before: 'prod', after: 'test' },
      { field: 'env.NEW', before: null, after: '1' },
      { field: 'published', before: '10.0.0.2:8080->80/tcp', after: '10.0.0.2:auto->80/tcp' },
      { field: 'announce', before: '8080', after: 'auto' },
      { field: 'health', before: null, after: '{"Test":["CMD-SHELL","true"]}' },
    ]);
  });

  it('shows a changed secret only as its digest, never a value', () => {
    const after = { ...base, 'rundock.env-digest': 'hmac-sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' };
    assert.deepEqual(specChanges(side(base), side(after)), [
      { field: 'env (secret values)', before: 'hmac-sha256:aaaaaaaaaaaa…', after: 'hmac-sha256:bbbbbbbbbbbb…' },
    ]);
    assert.deepEqual(specChanges(side(base), side(base)), []);
  });

  it('without the spec label (a container of an earlier rundock), compares what rundock labels carry', () => {
    const old = {
      labels: { [LABEL.image]: 'web:1', [LABEL.announce]: '8080', [LABEL.specHash]: 'h1' },
      imageId: 'sha256:a',
    };
    const same = { labels: { ...old.labels, [LABEL.spec]: '{}', [LABEL.specHash]: 'h2' }, imageId: 'sha256:a' };
    assert.deepEqual(specChanges(old, same), [{ field: 'spec_hash', before: 'h1', after: 'h2' }]);
    const moved = { labels: { ...same.labels, [LABEL.announce]: '9090' }, imageId: 'sha256:a' };
    assert.deepEqual(specChanges(old, moved), [{ field: 'announce', before: '8080', after: '9090' }]);
  });
});
