/**
 * The label trie under ZoneIndex: one node per name, children by label, and the list of records at or below a node
 * built on demand and dropped when anything below it changes.
 */

/** Query labels that match any one label at their position, as in CoreDNS's etcd plugin. */
export const WILDCARDS = new Set(['*', 'any']);

/** One name of the zone. */
export class TrieNode<T> {
  children: Map<string, TrieNode<T>> | undefined = undefined;
  entry: T | undefined = undefined;
  /** Records at or below this node; the trie is pruned, so every node but the root has at least one. */
  count = 0;
  /** Lazily built list of `count` records below, dropped on any change below (O(depth) per update). */
  cached: T[] | undefined = undefined;
}

/** Drops the nodes left with no record below them, bottom-up, so that "node exists" means "name exists". */
export function prune<T>(trail: TrieNode<T>[], path: string[]): void {
  for (let i = path.length; i > 0; i--) {
    const node = trail[i];
    const parent = trail[i - 1];
    const label = path[i - 1];
    if (node === undefined || parent === undefined || label === undefined || node.count > 0) return;
    parent.children?.delete(label);
    if (parent.children?.size === 0) parent.children = undefined;
  }
}

/** The node of `labels` (top-down), if it exists. */
export function walk<T>(root: TrieNode<T>, labels: string[]): TrieNode<T> | undefined {
  let node: TrieNode<T> | undefined = root;
  for (const label of labels) {
    node = node.children?.get(label);
    if (node === undefined) return undefined;
  }
  return node;
}

/** Every node `labels` matches, `*` and `any` standing for any one label. */
export function matchWildcard<T>(node: TrieNode<T>, labels: string[], at: number, out: TrieNode<T>[]): void {
  const label = labels[at];
  if (label === undefined) {
    out.push(node);
    return;
  }
  if (!WILDCARDS.has(label)) {
    const child = node.children?.get(label);
    if (child !== undefined) matchWildcard(child, labels, at + 1, out);
    return;
  }
  for (const child of node.children?.values() ?? []) matchWildcard(child, labels, at + 1, out);
}

/** Depth-first, a node's own record before its children's, children in insertion order: a stable answer order. */
export function collect<T>(node: TrieNode<T>, out: T[], limit: number): void {
  if (out.length >= limit) return;
  if (node.entry !== undefined) out.push(node.entry);
  if (node.children === undefined) return;
  for (const child of node.children.values()) collect(child, out, limit);
}
