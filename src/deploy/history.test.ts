/**
 * The rollback target: which generation `rundock rollback` returns to (History.previous), and the deploy of it with
 * its image pinned by ID once the tag names another image, against the memory engine (test/support/deploy-host.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DeployHost, failureOf, web } from '../../test/support/deploy-host.js';
import { RundockError } from '../shared/errors.js';
import { validateService } from '../service-spec/validate.js';
import { History, type Generation } from './history.js';

let dir: string;
let history: History;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rundock-history-unit-'));
  history = new History(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Records generation after generation: `A` deployed (spec hash and image ID `A`), `C!` reverted. */
function deployed(...runs: string[]): void {
  for (const run of runs) {
    const id = run.replace('!', '');
    history.record('web', {
      image: `web:${id}`,
      image_id: run.endsWith('!') ? '' : id,
      spec_hash: id,
      container: `c-${id}`,
      result: run.endsWith('!') ? 'reverted' : 'deployed',
      spec: { name: 'web', state: 'enabled', args: '', announce_as: 'private', pull: 'missing' },
    });
  }
}

const target = (current: string | undefined): number | undefined =>
  history.previous('web', current === undefined ? undefined : { spec_hash: current, image_id: current })?.generation;

describe('the rollback target', () => {
  it('is the latest deployed generation before the current one, never a reverted one', () => {
    deployed('A', 'B', 'C!');
    assert.equal(target('B'), 1);
  });

  it('after a rollback to A, a second rollback goes to what A replaced', () => {
    deployed('A', 'B', 'A');
    assert.equal(target('A'), 2);
  });

  it('skips generations that run what runs now', () => {
    deployed('A', 'B', 'B');
    assert.equal(target('B'), 1);
  });

  it('is the latest deployed one when what runs now is in no generation (or nothing runs)', () => {
    deployed('A', 'B');
    assert.equal(target('X'), 2);
    assert.equal(target(undefined), 2);
  });

  it('is none when nothing was deployed before the current one', () => {
    deployed('A');
    assert.equal(target('A'), undefined);
    assert.equal(history.previous('other', undefined), undefined);
  });
});

describe('a history file', () => {
  const file = (): string => join(dir, 'services', 'web.json');

  it('is none for a service never deployed, and is written with nothing left beside it', () => {
    assert.deepEqual(history.read('web'), []);
    deployed('A');
    assert.deepEqual(readdirSync(join(dir, 'services')), ['web.json']);
  });

  const corrupt: [what: string, text: string, why: string][] = [
    ['not JSON', '{"service":"web","generations":[', 'not JSON'],
    ['not a history', '{"service":"web","generations":[{"generation":"one"}]}', 'not a history: generations.0.'],
  ];
  for (const [what, text, why] of corrupt) {
    it(`that is ${what} is an error naming the file, not an empty history; a deploy does not overwrite it`, () => {
      deployed('A');
      writeFileSync(file(), text);
      for (const call of [() => history.read('web'), () => target('B'), () => deployed('B')])
        assert.throws(call, (error: unknown) => {
          assert.ok(error instanceof RundockError);
          assert.equal(error.code, 'RUNDOCK_E_HISTORY');
          assert.equal(error.details.file, file());
          assert.match(error.message, new RegExp(`${file()}.*${why}.*move it aside`));
          return true;
        });
      assert.equal(readFileSync(file(), 'utf8'), text);
    });
  }
});

describe('a rollback deploy', () => {
  it('runs the earlier image by ID once its tag names another one, through the same overlap', async () => {
    const host = new DeployHost();
    const generations: Generation[] = [];
    for (const version of [1, 2]) {
      const spec = validateService(web(version));
      const { after } = await host.given(spec);
      const ran = { image_id: after?.image_id ?? '', spec_hash: after?.spec_hash ?? '', container: after?.id ?? '' };
      generations.push(history.record('web', { ...ran, image: spec.image ?? '', result: 'deployed', spec }));
    }
    host.engine.addImage('web:1', 'sha256:web1-rebuilt'); // the tag moved on
    const [gen1, gen2] = generations;
    const back = history.previous('web', gen2);
    assert.equal(back?.generation, gen1?.generation);
    const result = await host.deploy(back?.spec ?? {}, { pinnedImageId: back?.image_id });
    assert.equal(result.after?.image_id, gen1?.image_id);
    assert.equal(result.pulled, false);
    assert.equal(result.handover, 'overlap');
    assert.deepEqual(host.journal.slice(0, 2), ['create web_rundock_next', 'start web_rundock_next']);
    assert.deepEqual(await host.containers(), ['web running']);
  });

  it('refuses a generation whose image is gone from the host, and changes nothing', async () => {
    const host = new DeployHost();
    await host.given(web(1));
    const error = await failureOf(host.deploy(web(1), { pinnedImageId: 'sha256:deleted' }));
    assert.equal(error.code, 'RUNDOCK_E_IMAGE_MISSING');
    assert.deepEqual(host.journal, []);
  });
});
