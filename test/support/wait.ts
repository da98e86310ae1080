/**
 * The one polling helper of the tests: every wait for something to happen goes through it, with a deadline, so a
 * test waits on the outcome it asserts rather than on a sleep.
 */

/**
 * Polls `check` every `everyMs` until it returns true; resolves to the time waited (ms), rejects after `timeoutMs`
 * naming `what`. An error thrown by `check` ends the wait with that error (see `orFalse` to count it as not yet).
 */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 20,
  what = 'the condition',
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** `check`, with an error counted as "not yet" (a server that does not listen yet, a file not written yet). */
export const orFalse = (check: () => Promise<boolean> | boolean) => async (): Promise<boolean> => {
  try {
    return await check();
  } catch {
    return false;
  }
};
