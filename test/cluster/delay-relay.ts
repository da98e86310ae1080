/**
 * A TCP relay that delays every byte by a fixed time in each direction: the reference cluster's "network delay"
 * fault (scripts/cluster.sh delay), made in user space because this machine's kernel has no netem qdisc. The script
 * runs one relay per frontend in its namespace, as user nobody, and redirects (iptables REDIRECT, nat OUTPUT) the
 * host's new etcd connections to the other frontend through it; the relay's own connections (user nobody) pass.
 *
 *   node --import tsx test/cluster/delay-relay.ts DELAY_MS SOURCE_ADDR LISTEN_PORT=ADDR:PORT...
 *
 * Each LISTEN_PORT (on 127.0.0.1) is relayed to ADDR:PORT from SOURCE_ADDR (the host's own address, so the peer
 * sees the address its certificate names). Data, end and reset of either side reach the other DELAY_MS later, in
 * order; nothing else changes (no loss, no reordering), as netem's `delay` alone would do.
 */
import { createServer, connect, type Socket } from 'node:net';

/** Everything `from` sends reaches `to` delayMs later: data in order, then its end (or a reset after an error). */
function pipeDelayed(from: Socket, to: Socket, delayMs: number): void {
  const later = (f: () => void): void => void setTimeout(f, delayMs);
  from.on('data', (chunk: Buffer) => later(() => to.destroyed || to.write(chunk)));
  from.on('end', () => later(() => to.end()));
  from.on('error', () => later(() => to.resetAndDestroy()));
}

function relay(delayMs: number, source: string, listenPort: number, address: string, port: number): void {
  const server = createServer((inbound) => {
    const outbound = connect({ host: address, port, localAddress: source });
    pipeDelayed(inbound, outbound, delayMs);
    pipeDelayed(outbound, inbound, delayMs);
  });
  server.listen(listenPort, '127.0.0.1', () =>
    process.stdout.write(`relay 127.0.0.1:${listenPort} -> ${address}:${port} (+${delayMs} ms each way)\n`),
  );
}

const [delayText = '', source = '', ...pairs] = process.argv.slice(2);
const delayMs = Number(delayText);
if (!Number.isInteger(delayMs) || delayMs < 0 || source === '' || pairs.length === 0) {
  process.stderr.write('usage: delay-relay.ts DELAY_MS SOURCE_ADDR LISTEN_PORT=ADDR:PORT...\n');
  process.exit(2);
}
for (const pair of pairs) {
  const m = /^(\d+)=([\d.]+):(\d+)$/.exec(pair);
  if (m === null) {
    process.stderr.write(`delay-relay: "${pair}" is not LISTEN_PORT=ADDR:PORT\n`);
    process.exit(2);
  }
  relay(delayMs, source, Number(m[1]), m[2] ?? '', Number(m[3]));
}
