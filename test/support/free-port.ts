import { createServer } from 'node:net';

/**
 * Ports a test may listen on are picked below Linux's ephemeral range (32768-60999): a port from that range, free
 * when picked, can be taken by the local end of any outgoing connection before the test's server binds it (a CI run
 * saw etcd fail with "address already in use" that way). Below it only listeners take ports.
 */
const LOWEST = 10_000;
const BELOW_EPHEMERAL = 32_768;
/** Ports this process handed out: never twice, even when the first taker has not bound its port yet. */
const handedOut = new Set<number>();

/** Whether nothing listens on `port`, on any address, just now. */
function bindable(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/** A TCP port nothing listens on just now, below the ephemeral range, not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (BELOW_EPHEMERAL - LOWEST));
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free TCP port found between ${LOWEST} and ${BELOW_EPHEMERAL}`);
}
