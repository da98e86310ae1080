// Needs a build: the batched UDP addon in dist/ (npm run build).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { platformTag, type UdpBatchAddon } from '../dns/serve/udp-batch.js';
import { loadAddonFromBytes } from './native-addon.js';

const folder = mkdtempSync(join(tmpdir(), 'rundock-addon-'));
after(() => rmSync(folder, { recursive: true, force: true }));

describe('loadAddonFromBytes', () => {
  it('loads a Node-API addon held in memory and leaves no file in the folder', () => {
    const bytes = readFileSync(new URL(`../../dist/udp_batch-${platformTag()}.node`, import.meta.url));
    const addon = loadAddonFromBytes(bytes, folder) as UdpBatchAddon;
    assert.deepEqual(
      ['close', 'open', 'send'].map((name) => typeof addon[name as keyof UdpBatchAddon]),
      ['function', 'function', 'function'],
    );
    assert.deepEqual(readdirSync(folder), []);
  });

  it("throws the loader's reason for bytes that are no shared object, and leaves no file either", () => {
    assert.throws(() => loadAddonFromBytes(Buffer.from('not an ELF file'), folder), /ELF|too short/);
    assert.deepEqual(readdirSync(folder), []);
  });
});
