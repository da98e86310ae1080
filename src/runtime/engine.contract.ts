/**
 * One contract for every ContainerEngine: the real Docker adapter (test/integration/engine.test.ts) and the memory
 * engine (memory-engine.test.ts) must behave the same in everything the agent and the deploy rely on.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { freePort } from '../../test/support/free-port.js';
import type { CreateBody } from '../service-spec/run-options.js';
import type { ContainerEngine } from './engine.js';
import type { ContainerEvent } from './events.js';

export interface EngineSubject {
  engine: ContainerEngine;
  /** An image present on the engine. */
  image: string;
  /** A label unique to this run: containers carrying it are this suite's. */
  label: string;
  /** A name unique to this run and this `suffix`. */
  name: (suffix: string) => string;
  cleanup(): Promise<void>;
}

const ASLEEP = ['sh', '-c', 'trap "exit 0" TERM; sleep 300 & wait'];

export function engineContract(implementation: string, makeSubject: () => Promise<EngineSubject>): void {
  describe(`ContainerEngine contract: ${implementation}`, () => {
    let subject: EngineSubject | undefined;
    const s = async (): Promise<EngineSubject> => (subject ??= await makeSubject());
    const body = async (extra: Partial<CreateBody> = {}): Promise<CreateBody> => {
      const { image, label } = await s();
      return { Image: image, Cmd: ASLEEP, Labels: { [label]: 'yes' }, HostConfig: {}, ...extra };
    };
    after(async () => subject?.cleanup());

    it('creates a container the label lists, created and not running', async () => {
      const { engine, label, name } = await s();
      const id = await engine.create(name('a'), await body());
      const listed = (await engine.list(label)).find((c) => c.id === id);
      assert.equal(listed?.name, name('a'));
      assert.equal(listed?.status, 'created');
      assert.equal((await engine.inspect(id)).running, false);
      assert.equal(
        (await engine.list(`${label}=no`)).some((c) => c.id === id),
        false,
        'a label value filters too',
      );
    });

    it('starts it with a host port of its own for an empty host port, and stops it', async () => {
      const { engine, name } = await s();
      const id = await engine.create(
        name('b'),
        await body({
          ExposedPorts: { '8080/tcp': {} },
          HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
        }),
      );
      await engine.start(id);
      const running = await engine.inspect(id);
      assert.equal(running.running, true);
      const bound = running.published.find((p) => p.containerPort === '8080/tcp');
      assert.ok(
        bound !== undefined && bound.hostIp === '127.0.0.1' && bound.hostPort > 0,
        JSON.stringify(running.published),
      );
      await engine.stop(id, 5);
      assert.equal((await engine.inspect(id)).running, false);
      await engine.stop(id, 5); // stopping a stopped container is no error
    });

    it('restarts a running container: the same container, started again, its restart count 0', async () => {
      const subject = await s();
      const engine = subject.engine;
      const id = await engine.create(subject.name('r'), await body());
      await engine.start(id);
      const before = await engine.inspect(id);
      await new Promise((r) => setTimeout(r, 20)); // a start time of its own
      await engine.restart(id);
      const after = await engine.inspect(id);
      assert.equal(after.running, true);
      assert.notEqual(after.startedAt, before.startedAt);
      // Docker counts its restart policy's restarts since the last start asked for.
      assert.equal(after.restartCount, 0, 'a restart asked for is not a restart of the policy');
      assert.ok(Date.parse(after.finishedAt) >= Date.parse(before.startedAt), 'its last run ended at the restart');
      const aborted = new AbortController();
      aborted.abort();
      await assert.rejects(engine.inspect(id, aborted.signal), 'an aborted request fails');
      await engine.stop(id, 5);
    });

    it("streams the labelled containers' events in order, and only theirs", async () => {
      const { engine, label, name } = await s();
      const abort = new AbortController();
      const seen: ContainerEvent[] = [];
      let opened: () => void = () => undefined;
      const open = new Promise<void>((resolve) => (opened = resolve));
      const reading = (async () => {
        for await (const event of engine.events(label, abort.signal, async () => opened())) seen.push(event);
      })();
      await open;
      const other = await engine.create(name('other'), { ...(await body()), Labels: {} });
      const id = await engine.create(name('c'), await body());
      await engine.start(other);
      await engine.start(id);
      await engine.rename(id, name('c2'));
      await engine.stop(id, 5);
      await engine.remove(id);
      await engine.remove(other);
      const until = Date.now() + 10_000;
      while (!seen.some((e) => e.action === 'destroy') && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      abort.abort();
      await reading;
      assert.ok(
        seen.every((e) => e.id === id),
        'only the labelled container',
      );
      const actions = seen.map((e) => e.action);
      const order = ['start', 'rename', 'die', 'destroy'].map((a) => actions.indexOf(a));
      assert.ok(
        order.every((i, k) => i >= 0 && (k === 0 || i > (order[k - 1] ?? -1))),
        actions.join(', '),
      );
    });

    it('refuses a second container of the same name, and a rename onto a taken name', async () => {
      const { engine, label, name } = await s();
      const id = await engine.create(name('d'), await body());
      await assert.rejects(engine.create(name('d'), await body()), { code: 'RUNDOCK_E_DOCKER' });
      const other = await engine.create(name('e'), await body());
      await assert.rejects(engine.rename(other, name('d')), { code: 'RUNDOCK_E_DOCKER' });
      assert.equal((await engine.list(label)).filter((c) => c.name === name('d')).length, 1);
      assert.equal((await engine.inspect(id)).name, name('d'));
    });

    it('refuses to start a container on a host port a running one holds, and starts it once that one stops', async () => {
      const { engine, name } = await s();
      const port = await freePort();
      const bound = { HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } } };
      const holder = await engine.create(name('p1'), await body({ ExposedPorts: { '8080/tcp': {} }, ...bound }));
      const second = await engine.create(name('p2'), await body({ ExposedPorts: { '8080/tcp': {} }, ...bound }));
      await engine.start(holder);
      await assert.rejects(engine.start(second), { code: 'RUNDOCK_E_DOCKER', message: /port is already allocated/ });
      assert.equal((await engine.inspect(second)).running, false);
      await engine.stop(holder, 5);
      await engine.start(second);
      assert.deepEqual(
        (await engine.inspect(second)).published.map((p) => p.hostPort),
        [port],
      );
      await engine.stop(second, 5);
    });

    it('removes a container, running or not; it is then gone, and removing it again is no error', async () => {
      const { engine, name } = await s();
      const id = await engine.create(name('f'), await body());
      await engine.start(id);
      await engine.remove(id);
      assert.equal(await engine.inspectIfExists(id), undefined);
      await engine.remove(id);
    });

    it('knows its images by reference and by ID, and no other', async () => {
      const { engine, image } = await s();
      const id = await engine.imageId(image);
      assert.match(id ?? '', /^sha256:/);
      assert.equal(await engine.imageId(id ?? ''), id);
      assert.equal(await engine.imageId('rundock-test/never-built:nope'), undefined);
    });
  });
}
