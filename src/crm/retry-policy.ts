/**
 * The retry policy: pure functions from what went wrong to what happens next — in this run (the
 * CRM transport's few quick retries) and across runs (the delivery engine's schedule). They never
 * sleep and never touch the database, so every rule is unit-tested here. It lives on the CRM side
 * because only the CRM's answers decide it; delivery and the transport both ask it.
 *
 * The rules, in the CRM's favour first:
 * - 403 (amoCRM's block) opens the circuit at once: no further request until an admin resets it.
 *   Retrying into a block is how integrations get banned for good.
 * - 401 that survived a token refresh: the account is unauthorized; deliveries wait.
 * - 429: nothing was done; wait (the limiter also slows down) and try the same request again.
 * - 5xx, timeouts, dropped connections: if the request may have reached the CRM the outcome is
 *   unknown — the next attempt first looks the call up, never blindly resends. Attempts back off
 *   and after MAX_ATTEMPTS the delivery is `failed` (kept, visible, retryable by an admin).
 *   A request that cannot have changed anything (a read, or a write whose connection never
 *   opened) is tried again at once, a few times.
 * - 504 on a batch: amoCRM's "too large"; shrink the batch, and treat the outcome as unknown.
 * - any other 4xx: resending the same request cannot help; the item is rejected with the reason.
 * @module
 */
import type { CrmFailure } from './port';

export const MAX_ATTEMPTS = 10;

/** Delay before attempt n+1 after n failed attempts: 10 s, 30 s, 2 m, 5 m, 15 m, 30 m, 1 h, 2 h, 4 h. */
const SCHEDULE_SECONDS = [10, 30, 120, 300, 900, 1800, 3600, 7200, 14400];

/**
 * @param attempts attempts made so far (≥ 1)
 * @param random a number in [0, 1) for jitter (±20 %), so many calls do not retry in lockstep
 */
export function backoffMs(attempts: number, random: number): number {
  const base = SCHEDULE_SECONDS[Math.min(Math.max(attempts, 1), SCHEDULE_SECONDS.length) - 1] ?? 14400;
  return Math.round(base * 1000 * (0.8 + 0.4 * random));
}

/** The one in-run back-off: `firstMs` after the first failure, doubling with each one after it, capped. */
export function escalatingMs(firstMs: number, failures: number, capMs = Infinity): number {
  return Math.min(firstMs * 2 ** Math.max(failures - 1, 0), capMs);
}

/** How long to pause after a 429 before the same request is tried again. */
export function rateLimitWaitMs(consecutive429s: number, retryAfterMs: number | null): number {
  return Math.max(retryAfterMs ?? 0, escalatingMs(1000, consecutive429s, 30_000));
}

/** After this many 429s in a row a run gives up and leaves the work for the next one. */
export const MAX_CONSECUTIVE_429S = 4;

/** Quick in-run tries of a request that cannot have changed the CRM (a read, or a write never sent). */
const MAX_TRIES_UNSENT = 3;

/** The wait before the next quick try of a request that cannot have changed the CRM: 250 ms, 500 ms. */
const quickRetryMs = (tries: number) => escalatingMs(250, tries);

export type Decision =
  /** Nothing happened at the CRM; try the same request again in this run after waitMs. */
  | { action: 'retry_now'; waitMs: number }
  /** Stop calling this CRM account; deliveries stay pending. */
  | { action: 'open_circuit'; status: 'blocked' | 'unauthorized'; reason: string }
  /** Try again later; when outcomeUnknown the next attempt looks the call up first. */
  | { action: 'reschedule'; delayMs: number; outcomeUnknown: boolean; shrinkBatch: boolean }
  /** Attempts exhausted: failed, with the reason, until an admin retries it. */
  | { action: 'give_up'; outcomeUnknown: boolean; reason: string }
  /** The CRM refuses this request for good. */
  | { action: 'reject'; reason: string };

export interface FailureContext {
  /** Attempts of this delivery so far, including the one that just failed. */
  attempts: number;
  /** 429s in a row in this run, including this one. */
  consecutive429s: number;
  /** Tries of this exact request in this run, including this one. */
  triesThisRun: number;
  random: number;
}

export function decide(failure: CrmFailure, ctx: FailureContext): Decision {
  switch (failure.kind) {
    case 'blocked':
      return { action: 'open_circuit', status: 'blocked', reason: `the CRM blocked the integration (403): ${failure.detail}` };
    case 'unauthorized':
      return { action: 'open_circuit', status: 'unauthorized', reason: `the CRM refused the credentials (401): ${failure.detail}` };
    case 'rate_limited':
      if (ctx.consecutive429s >= MAX_CONSECUTIVE_429S) {
        return { action: 'reschedule', delayMs: 60_000, outcomeUnknown: false, shrinkBatch: false };
      }
      return { action: 'retry_now', waitMs: rateLimitWaitMs(ctx.consecutive429s, failure.retryAfterMs) };
    case 'rejected':
      return { action: 'reject', reason: `the CRM rejected the request (${failure.status}): ${failure.detail}` };
    case 'too_large':
    case 'unavailable': {
      const outcomeUnknown = failure.kind === 'too_large' || failure.sent;
      if (!outcomeUnknown && ctx.triesThisRun < MAX_TRIES_UNSENT) return { action: 'retry_now', waitMs: quickRetryMs(ctx.triesThisRun) };
      const reason = failure.kind === 'too_large' ? `batch too large (504): ${failure.detail}` : failure.detail;
      if (ctx.attempts >= MAX_ATTEMPTS) return { action: 'give_up', outcomeUnknown, reason };
      return {
        action: 'reschedule',
        // A 504 first shrinks the batch and tries again soon; if it keeps coming (a slow amoCRM, or
        // a batch of one), it backs off like any other failure instead of burning the attempts.
        delayMs: failure.kind === 'too_large' && ctx.attempts <= 3 ? 1000 : backoffMs(ctx.attempts, ctx.random),
        outcomeUnknown,
        shrinkBatch: failure.kind === 'too_large',
      };
    }
  }
}

export interface TryContext {
  /** Whether the request changes the CRM. */
  write: boolean;
  /** Tries of this request so far, including the one that just failed. */
  tries: number;
  /** 429s in a row for this request, including this one. */
  consecutive429s: number;
}

/**
 * What the CRM transport does after one try of a request failed: the wait before trying it again
 * in this run (0: at once; a 429's pause is the limiter's), or null to fail with it now.
 * Only what is safe whatever the request is retried: a 429 (the CRM did nothing), and a request
 * that cannot have changed the CRM — a read, or a write whose connection never opened. A write
 * whose answer was lost is never resent here: the delivery engine looks it up first.
 */
export function retryInRun(failure: CrmFailure, ctx: TryContext): number | null {
  if (failure.kind === 'rate_limited') return ctx.consecutive429s < MAX_CONSECUTIVE_429S ? 0 : null;
  if (failure.kind !== 'unavailable') return null;
  const harmless = !ctx.write || !failure.sent;
  return harmless && ctx.tries < MAX_TRIES_UNSENT ? quickRetryMs(ctx.tries) : null;
}
