/**
 * The collection rundock.rundock passes its ecosystem's own checks: `ansible-test sanity` (ansible-core 2.14, every
 * test that runs without downloads; the others need a venv with packages from PyPI or a container) and `ansible-lint`
 * at the production profile (its config: the collection's .ansible-lint). Both run on a copy of the collection in a
 * temporary ansible_collections/rundock/rundock (links kept as links), so nothing is written into the checkout; a copy
 * with a link out of the tree and a badly named task proves both checks fail when they should. Also: the files that
 * exist twice stay identical (the role's unit files and packaging/; library/rundock.py links to the collection's
 * module). Needs ansible-test and ansible-lint (scripts/test-env.sh installs ansible-core and ansible-lint); no root.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { run } from './netns-host.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const COLLECTION = join(REPO, 'ansible_collections/rundock/rundock');
const ROLE_FILES = join(COLLECTION, 'roles/host/files');

/** ansible-core 2.14's sanity tests that need nothing downloaded (ansible-doc, import, pep8, pylint,
 * runtime-metadata, validate-modules and yamllint install their requirements from PyPI into a venv). */
const OFFLINE_SANITY = [
  'action-plugin-docs',
  'changelog',
  'compile',
  'empty-init',
  'future-import-boilerplate',
  'ignores',
  'line-endings',
  'metaclass-boilerplate',
  'no-assert',
  'no-basestring',
  'no-dict-iteritems',
  'no-dict-iterkeys',
  'no-dict-itervalues',
  'no-get-exception',
  'no-illegal-filenames',
  'no-main-display',
  'no-smart-quotes',
  'no-unicode-literals',
  'pslint',
  'replace-urlopen',
  'shebang',
  'shellcheck',
  'symlinks',
  'use-argspec-type-path',
  'use-compat-six',
];

/** The role's copies of packaging/'s unit files, as paths under packaging/ and under the role's files/. */
const DAEMONS = ['agent', 'dns', 'gateway'];
const UNIT_COPIES: string[] = [
  ...DAEMONS.flatMap((d) => ['run', 'log/run', 'control/t'].map((f) => `runit/rundock-${d}/${f}`)),
  ...DAEMONS.map((d) => `systemd/rundock-${d}.service`),
];

interface Run {
  code: number;
  out: string;
}

let work = '';

/** Runs PROGRAM with ARGS (no shell) in CWD; exit status and stdout + stderr together. */
async function runIn(cwd: string, program: string, args: string[]): Promise<Run> {
  const env = { ...process.env, ANSIBLE_NOCOLOR: '1', NO_COLOR: '1', ANSIBLE_COLLECTIONS_PATH: join(cwd, '../../..') };
  const r = await run(program, args, { cwd, env, timeoutMs: 300_000 });
  return { code: r.code, out: `${r.stdout}\n${r.stderr}` };
}

/** A copy of the collection at WORK/NAME/ansible_collections/rundock/rundock, links kept as they are. */
function copyCollection(name: string): string {
  const dest = join(work, name, 'ansible_collections/rundock/rundock');
  cpSync(COLLECTION, dest, { recursive: true, verbatimSymlinks: true });
  return dest;
}

/** The version (`3.11`) of the Python that runs ansible-test (Debian's), which its tests are told to use. */
async function pythonVersion(): Promise<string> {
  const r = await runIn(REPO, '/usr/bin/python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
  assert.equal(r.code, 0, r.out);
  return r.out.trim();
}

async function sanity(collection: string, tests: string[]): Promise<Run> {
  const python = await pythonVersion();
  return runIn(collection, 'ansible-test', ['sanity', '--python', python, ...tests.flatMap((t) => ['--test', t])]);
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'rundock-collection-'));
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the Ansible collection rundock.rundock', () => {
  it('passes ansible-test sanity (every offline test) and ansible-lint at the production profile', async () => {
    const collection = copyCollection('good');
    const [tested, linted] = await Promise.all([
      sanity(collection, OFFLINE_SANITY),
      runIn(collection, 'ansible-lint', []),
    ]);
    assert.equal(tested.code, 0, tested.out);
    for (const test of OFFLINE_SANITY) assert.match(tested.out, new RegExp(`Running sanity test "${test}"`));
    assert.equal(linted.code, 0, linted.out);
    assert.match(linted.out, /Passed with production profile: 0 failure\(s\), 0 warning\(s\)/);
  });

  it('the checks fail on a link out of the collection and on a badly named task', async () => {
    const collection = copyCollection('bad');
    writeFileSync(join(work, 'bad/outside'), 'not in the collection\n');
    symlinkSync('../../../../../../outside', join(collection, 'roles/host/files/x'));
    appendFileSync(
      join(collection, 'roles/host/tasks/docker.yml'),
      '\n- name: restart {{ rundock_hostname }} later\n  ansible.builtin.meta: noop\n',
    );
    const [tested, linted] = await Promise.all([
      sanity(collection, ['symlinks']),
      runIn(collection, 'ansible-lint', []),
    ]);
    assert.notEqual(tested.code, 0, tested.out);
    assert.match(tested.out, /roles\/host\/files\/x:0:0: symlinks outside content tree are not allowed/);
    assert.notEqual(linted.code, 0, linted.out);
    assert.match(linted.out, /name\[casing\]/);
    assert.match(linted.out, /name\[template\]/);
  });

  it("the role's unit files are packaging/'s, byte for byte and mode", () => {
    for (const file of UNIT_COPIES) {
      const [copy, original] = [join(ROLE_FILES, file), join(REPO, 'packaging', file)];
      assert.ok(readFileSync(copy).equals(readFileSync(original)), `${copy} differs from ${original}: copy it again`);
      assert.equal(statSync(copy).mode, statSync(original).mode, `${copy} has another mode than ${original}`);
    }
  });

  it("library/rundock.py is the collection's module (a link to it)", () => {
    assert.equal(realpathSync(join(REPO, 'library/rundock.py')), join(COLLECTION, 'plugins/modules/rundock.py'));
  });
});
