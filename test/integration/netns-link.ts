/**
 * An address off loopback that only the test uses: a network namespace of its own, joined to this one by a veth
 * pair on a /30 of 10.80.0.0/16 that no interface here uses (`address` inside the namespace, `peer` here). A server
 * started inside it (`argv`: through `nsenter --net`, not `ip netns exec`, which remounts /sys) listens where this
 * process reaches it and nothing else does. Needs root, as the integration tests run (scripts/test.sh).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { run } from './ansible/netns-host.js';

export interface NetnsLink {
  /** The namespace's name, under /var/run/netns. */
  name: string;
  /** The address inside the namespace (on its end of the pair). */
  address: string;
  /** This namespace's end of the pair. */
  peer: string;
  /** `argv` run inside the namespace. */
  argv(argv: readonly string[]): [string, string[]];
  /** Deletes the pair and the namespace; the processes started in it must have stopped. */
  destroy(): Promise<void>;
}

async function must(file: string, args: readonly string[]): Promise<void> {
  const result = await run(file, args);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
}

/** A /30 of 10.80.0.0/16 that none of this machine's interfaces has an address in. */
function freeSubnet(): string {
  const used = new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((a) => a?.address.split('.').slice(0, 3).join('.')),
  );
  for (;;) {
    const prefix = `10.80.${randomInt(256)}`;
    if (!used.has(prefix)) return `${prefix}.${4 * randomInt(1, 63)}`;
  }
}

/** Creates the namespace and the pair; `destroy` removes both. */
export async function createNetnsLink(): Promise<NetnsLink> {
  const tag = randomBytes(3).toString('hex');
  const name = `rundock-link-${tag}`;
  const [here, there] = [`rdl${tag}a`, `rdl${tag}b`];
  const base = freeSubnet();
  const [prefix, last] = [base.slice(0, base.lastIndexOf('.')), Number(base.split('.')[3])];
  const [peer, address] = [`${prefix}.${last + 1}`, `${prefix}.${last + 2}`];
  await must('ip', ['netns', 'add', name]);
  const destroy = async (): Promise<void> => {
    await run('ip', ['link', 'del', here]); // both ends go
    await run('ip', ['netns', 'del', name]);
  };
  try {
    await must('ip', ['link', 'add', here, 'type', 'veth', 'peer', 'name', there, 'netns', name]);
    await must('ip', ['addr', 'add', `${peer}/30`, 'dev', here]);
    await must('ip', ['link', 'set', here, 'up']);
    await must('ip', ['-n', name, 'addr', 'add', `${address}/30`, 'dev', there]);
    for (const link of ['lo', there]) await must('ip', ['-n', name, 'link', 'set', link, 'up']);
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    name,
    address,
    peer,
    argv: (argv) => ['nsenter', [`--net=/var/run/netns/${name}`, ...argv]],
    destroy,
  };
}
