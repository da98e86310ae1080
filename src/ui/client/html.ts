/** htm bound to Preact's h: tagged-template markup, diffed by Preact (no hand-written DOM updates). */
export { html } from 'htm/preact';

/** `2026-11-29T10:00:00.000Z` -> `10:00:00` in the browser's time zone. */
export function clock(at: string): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? at : date.toLocaleTimeString([], { hour12: false });
}

/** `2026-11-29T10:00:00.000Z` -> the browser's date and time. */
export function dateTime(at: string): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? at : date.toLocaleString([], { hour12: false });
}

/** `1 host`, `2 hosts`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
