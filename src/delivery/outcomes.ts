/**
 * How one delivery row changes after a CRM request: pure builders of DeliveryUpdate, so the
 * phases read as "this call is done / goes on to its task / waits and retries".
 * @module
 */
import type { DeliveryStep } from '../domain/delivery';
import type { CrmError } from '../crm/port';
import { describeError } from '../lib/log';
import type { Decision } from '../crm/retry-policy';
import type { ClaimedDelivery, DeliveryRefs, DeliveryUpdate } from './store';

const base = (row: ClaimedDelivery, refs: DeliveryRefs = {}): Omit<DeliveryUpdate, 'state' | 'nextAttemptAt' | 'keepLease'> => ({
  id: row.deliveryId,
  step: row.step,
  attempts: row.attempts,
  outcomeUnknown: false,
  reason: null,
  lastError: null,
  refs,
  deliveredRevision: null,
  deliveredAt: null,
});

/** The call is on the CRM with everything this run had to say. */
export function delivered(row: ClaimedDelivery, now: Date, refs: DeliveryRefs, deliveredRevision: number | null): DeliveryUpdate {
  return { ...base(row, refs), state: 'delivered', attempts: 0, nextAttemptAt: null, deliveredRevision, deliveredAt: now, keepLease: false };
}

/** Done with this step; the row goes on to `next` in this same run (it keeps its lease). */
export function advance(row: ClaimedDelivery, next: DeliveryStep, now: Date, refs: DeliveryRefs, deliveredRevision: number | null = null): DeliveryUpdate {
  row.step = next;
  row.attempts = 0;
  row.outcomeUnknown = false;
  row.refs = { ...row.refs, ...refs };
  return { ...base(row, refs), state: 'pending', step: next, attempts: 0, nextAttemptAt: now, deliveredRevision, keepLease: true };
}

/** Done with this step; the row goes on to `next` in a later claim (it lets go of its lease). */
export function deferred(row: ClaimedDelivery, next: DeliveryStep, now: Date): DeliveryUpdate {
  return { ...base(row), state: 'pending', step: next, attempts: 0, nextAttemptAt: now, keepLease: false };
}

export function skipped(row: ClaimedDelivery, reason: string): DeliveryUpdate {
  return { ...base(row), state: 'skipped', attempts: 0, nextAttemptAt: null, reason, keepLease: false };
}

export function failed(row: ClaimedDelivery, reason: string, outcomeUnknown = false): DeliveryUpdate {
  return { ...base(row), state: 'failed', nextAttemptAt: null, outcomeUnknown, reason, lastError: reason, keepLease: false };
}

/** Try again at `at`; the attempt that failed counts unless the CRM never saw it. */
export function retryLater(row: ClaimedDelivery, at: Date, error: string, outcomeUnknown: boolean, counted = true): DeliveryUpdate {
  return {
    ...base(row),
    state: 'pending',
    attempts: counted ? row.attempts : Math.max(0, row.attempts - 1),
    nextAttemptAt: at,
    outcomeUnknown,
    lastError: error,
    keepLease: false,
  };
}

/** Not attempted in this run (the run stopped first): back to the queue as it was. */
export function untouched(row: ClaimedDelivery, now: Date): DeliveryUpdate {
  return { ...base(row), state: 'pending', outcomeUnknown: row.outcomeUnknown, nextAttemptAt: now, keepLease: false };
}

/** The update a failed request leads to, per the retry policy's decision. */
export function afterFailure(row: ClaimedDelivery, decision: Decision, error: CrmError, now: Date): DeliveryUpdate {
  const detail = describeError(error);
  switch (decision.action) {
    case 'open_circuit':
    case 'retry_now':
      // Refused before anything was done (403, 401, 429): this attempt does not count.
      return retryLater(row, now, detail, row.outcomeUnknown, false);
    case 'reschedule':
      return retryLater(row, new Date(now.getTime() + decision.delayMs), detail, decision.outcomeUnknown, error.failure.kind !== 'rate_limited');
    case 'give_up':
      return failed(row, `gave up after ${row.attempts} attempts: ${decision.reason}`, decision.outcomeUnknown);
    case 'reject':
      return failed(row, decision.reason);
  }
}
