import type { ZoneEntry } from './zone-index.js';

/**
 * SkyDNS's `group` (CoreDNS msg.Group): the group of the shortest keys decides which records answer together.
 * When the shortest records carry a group, only records of that group or without one are answered; when records at
 * that shortest depth disagree, the group is ignored and every record answers. Without any group, nothing changes.
 */
export function applyGroup(entries: readonly ZoneEntry[]): readonly ZoneEntry[] {
  const first = entries[0];
  if (first === undefined || !entries.some((e) => e.record.group !== undefined)) return entries;
  let group = first.record.group;
  let depth = first.depth;
  for (const e of entries) {
    if (e.depth >= depth) continue;
    // Go's loop stops at the first shorter record without a group, keeping what it had chosen before.
    if (e.record.group === undefined) break;
    depth = e.depth;
    group = e.record.group;
  }
  if (group === undefined) return entries;
  const out: ZoneEntry[] = [];
  for (const e of entries) {
    const own = e.record.group;
    if (own === undefined) out.push(e);
    else if (e.depth === depth && own !== group) return entries;
    else if (own === group) out.push(e);
  }
  return out;
}
