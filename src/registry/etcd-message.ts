/**
 * What etcd3 and gRPC say when etcd cannot be reached, as one plain reason a person can act on: gRPC's status codes,
 * "Last error:" chains, "Resolution note:" and etcd3's "circuit breaker is open" are dropped. The raw text stays in
 * the error's details (`etcd_error`) for debugging.
 */
const REASONS: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [/ECONNREFUSED ([^\s,.]+(?:\.[^\s,.]+)*)/, (m) => `connection refused at ${m[1] ?? ''} (is etcd running there?)`],
  [/ECONNREFUSED/, () => 'connection refused (is etcd running there?)'],
  [/(?:ENOTFOUND|EAI_AGAIN) ([^\s,]+)/, (m) => `the name ${m[1] ?? ''} does not resolve`],
  [/EHOSTUNREACH|ENETUNREACH/, () => 'no route to the address'],
  [/ETIMEDOUT|DEADLINE_EXCEEDED|[Dd]eadline exceeded|timed? ?out/, () => 'no answer in time'],
  [/ECONNRESET|Connection dropped|connection reset/i, () => 'the connection was dropped'],
  [/circuit breaker is open|BrokenCircuit/i, () => 'it failed repeatedly and requests are paused for a few seconds'],
];

/** The reason behind an etcd error, in one short phrase. */
export function plainEtcdReason(error: unknown): string {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  for (const [pattern, reason] of REASONS) {
    const match = pattern.exec(text);
    if (match !== null) return reason(match);
  }
  const message = error instanceof Error ? error.message : String(error);
  return (
    message
      .replace(/^\d+ [A-Z_]+: /, '')
      .replace(/\s*Resolution note:.*$/s, '')
      .replace(/\.?\s*Last error:.*$/s, '')
      .trim()
      .replace(/\.$/, '') || 'unknown error'
  );
}
