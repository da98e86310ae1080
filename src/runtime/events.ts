import type Docker from 'dockerode';
import { engineError } from './docker-errors.js';

/** A container event from the engine, reduced to what the agent uses. */
export interface ContainerEvent {
  id: string;
  /** e.g. start, die, stop, kill, destroy, `health_status: healthy` */
  action: string;
  /** Event time, nanoseconds since the epoch. */
  timeNano: number;
}

/** The container events the agent reacts to; health_status matches all of `health_status: *`. */
export const WATCHED_ACTIONS = [
  'start',
  'restart',
  'die',
  'stop',
  'kill',
  'pause',
  'unpause',
  'destroy',
  'rename',
  'health_status',
  'oom',
];

/**
 * Streams container events for containers carrying `label`, filtered by the engine; `onOpen` runs once the
 * subscription stands. Ends (returns) when the engine closes the stream; throws if it cannot be opened. Stops when
 * `signal` aborts.
 */
export async function* containerEvents(
  engine: Docker,
  label: string,
  signal: AbortSignal,
  onOpen?: () => Promise<void>,
): AsyncGenerator<ContainerEvent> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await engine.getEvents({
      filters: { type: ['container'], label: [label], event: WATCHED_ACTIONS },
      abortSignal: signal,
    });
  } catch (error) {
    throw engineError('subscribe to events', error);
  }
  // Subscribed before the caller's resync, so no event between the two is lost.
  await onOpen?.();
  const close = (): void => (stream as unknown as { destroy?: () => void }).destroy?.();
  signal.addEventListener('abort', close, { once: true });
  let buffered = '';
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        const event = parseEvent(line);
        if (event) yield event;
      }
    }
  } catch (error) {
    // Aborting destroys the stream under the loop ("premature close"): that is the end asked for, not a failure.
    if (!signal.aborted) throw error;
  } finally {
    signal.removeEventListener('abort', close);
    close();
  }
}

function parseEvent(line: string): ContainerEvent | undefined {
  if (line === '') return undefined;
  try {
    const e = JSON.parse(line) as {
      id?: string;
      Action?: string;
      status?: string;
      timeNano?: number;
      Actor?: { ID?: string };
    };
    const id = e.Actor?.ID ?? e.id;
    const action = e.Action ?? e.status;
    return id && action ? { id, action, timeNano: e.timeNano ?? 0 } : undefined;
  } catch {
    return undefined;
  }
}
