/**
 * When a hostname's certificate is ordered: at once without a usable one, else two thirds into its lifetime
 * (Let's Encrypt's 90 days: after 60, 30 days before it expires); after a failure not before the retry's backoff.
 * Pure.
 */
import { backoffDelay } from '../../shared/backoff.js';

/** A certificate's validity, as the store keeps it (RFC 3339). */
export interface Validity {
  readonly not_before: string;
  readonly not_after: string;
}

/** Where ordering one hostname stands on this gateway. */
export interface OrderState {
  /** Orders failed in a row. */
  readonly failures: number;
  /** Not before this (a failure's backoff, or another gateway holding the lock), ms since the epoch. */
  readonly nextAttemptAt?: number | undefined;
  readonly lastError?: string | undefined;
}

/** How failed orders back off: first retry after about `baseMs`, doubling to `maxMs`. */
export interface RetryPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** 30 s, doubling to an hour: well inside Let's Encrypt's 5 failed validations per hostname an hour. */
export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ baseMs: 30_000, maxMs: 3_600_000 });

/** Two thirds into the certificate's lifetime, ms since the epoch. */
export function renewAt(validity: Validity): number {
  const from = Date.parse(validity.not_before);
  const to = Date.parse(validity.not_after);
  return from + Math.floor(((to - from) * 2) / 3);
}

/** When to order next: now without a certificate, else at renewAt; never before `state.nextAttemptAt`. */
export function dueAt(certificate: Validity | undefined, state: OrderState | undefined, now: number): number {
  const due = certificate === undefined ? now : renewAt(certificate);
  return Math.max(due, state?.nextAttemptAt ?? 0);
}

/** The state after a failed order: one more failure, the next attempt after the backoff. */
export function failed(state: OrderState | undefined, error: string, now: number, retry: RetryPolicy): OrderState {
  const failures = (state?.failures ?? 0) + 1;
  return { failures, lastError: error, nextAttemptAt: now + backoffDelay(failures - 1, retry.baseMs, retry.maxMs) };
}
