/** Waiting on work that an AbortSignal stops. */

/**
 * Resolves once `task` has settled or `signal` has aborted, whichever comes first; never rejects. For a wait on
 * work that the same signal tells to stop: the caller goes on at the deadline and the work ends on its own.
 */
export function settledOrAborted(task: Promise<unknown>, signal?: AbortSignal): Promise<void> {
  if (signal === undefined) return task.then(ignore, ignore);
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    task.then(done, done);
  });
}

function ignore(): void {}
