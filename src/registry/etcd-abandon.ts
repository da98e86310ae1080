/**
 * Calls to etcd that a signal can end. etcd3 (1.1.2) takes per-call gRPC options but no AbortSignal, and a call to
 * a member that does not answer (frozen, or cut off without a reset) waits until its deadline, a stream (watch,
 * lease keep-alive) until gRPC's keep-alive ping gives up on the connection. A process that stops must not wait for
 * either: this interceptor cancels the call the moment the signal aborts (or at once, when it already has).
 *
 * The call ends with FAILED_PRECONDITION, which etcd3 reads as a non-recoverable error: it neither retries the call
 * on another member nor counts it against the member's circuit breaker, so a withdrawal that follows still reaches
 * a member that answers.
 */
import grpc, { type CallOptions } from '@grpc/grpc-js';

/** The message a call cancelled by `signal` ends with. */
export function abandonedMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return `abandoned: ${reason instanceof Error ? reason.message : 'the caller stopped waiting'}`;
}

/** True for the error of a call this module cancelled (as etcd3 rethrows it): a stop, not a failure of etcd. */
export function isAbandoned(error: unknown): boolean {
  return error instanceof Error && /\bFAILED_PRECONDITION: abandoned: /.test(error.message);
}

/** A gRPC interceptor that cancels each call it sees when `signal` aborts; it also fits stream calls. */
export function abandonOn(signal: AbortSignal): grpc.Interceptor {
  return (options, nextCall) => {
    const call: grpc.InterceptingCall = new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        const abandon = (): void => call.cancelWithStatus(grpc.status.FAILED_PRECONDITION, abandonedMessage(signal));
        const status = new grpc.ListenerBuilder()
          .withOnReceiveStatus((received, forward) => {
            signal.removeEventListener('abort', abandon);
            forward(received);
          })
          .build();
        next(metadata, status);
        if (signal.aborted) abandon();
        else signal.addEventListener('abort', abandon, { once: true });
      },
    });
    return call;
  };
}

/**
 * A gRPC interceptor that gives each attempt of a call its own deadline, `ms` from when it starts: etcd3 retries a
 * call on another member with the same options, so a deadline fixed in them would leave the retries no time.
 */
export function attemptDeadline(ms: number): grpc.Interceptor {
  return (options, nextCall) => new grpc.InterceptingCall(nextCall({ ...options, deadline: Date.now() + ms }));
}

/** Call options for a request: `attemptMs` per attempt (attemptDeadline), abandoned when `signal` (if any) aborts. */
export function boundedCallOptions(signal: AbortSignal | undefined, attemptMs: number): CallOptions {
  const deadline = attemptDeadline(attemptMs);
  return { interceptors: signal === undefined ? [deadline] : [deadline, abandonOn(signal)] };
}

/** `task`'s outcome, or `error()` as soon as `signal` aborts (by then the task's requests are being cancelled). */
export function untilAbandoned<T>(task: Promise<T>, signal: AbortSignal, error: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abandon = (): void => reject(error());
    if (signal.aborted) return abandon();
    signal.addEventListener('abort', abandon, { once: true });
    task.then(resolve, reject).finally(() => signal.removeEventListener('abort', abandon));
  });
}
