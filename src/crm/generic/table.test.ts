import { describe, expect, it } from 'vitest';
import { readAnswer } from '../answers';
import { genericTable } from './table';

const RETRY = [429, 500, 502, 503, 504];

/** What an answer of a write means to a generic CRM whose config lists `retryStatuses`. */
function statusFailure(status: number, text: string, retryAfter: string | null, retryStatuses: readonly number[]) {
  const headers = new Headers(retryAfter === null ? {} : { 'retry-after': retryAfter });
  const reading = readAnswer(genericTable({ headers: {}, retry_statuses: [...retryStatuses] }), { status, text, headers }, true);
  if (reading.ok) throw new Error(`HTTP ${status} was read as a success`);
  return reading.failure;
}

describe('CRM answers as failure kinds', () => {
  it('maps statuses the way the delivery engine relies on', () => {
    expect(statusFailure(429, '', '3', RETRY)).toEqual({ kind: 'rate_limited', retryAfterMs: 3000 });
    expect(statusFailure(401, '', null, RETRY).kind).toBe('unauthorized');
    expect(statusFailure(403, 'forbidden', null, RETRY)).toEqual({ kind: 'blocked', detail: 'HTTP 403: forbidden' });
    expect(statusFailure(402, '', null, RETRY).kind).toBe('blocked');
    // The CRM had the request: it may have acted on it.
    expect(statusFailure(503, '', null, RETRY)).toMatchObject({ kind: 'unavailable', sent: true, status: 503 });
    expect(statusFailure(422, '{"error":"bad"}', null, RETRY)).toEqual({ kind: 'rejected', status: 422, detail: 'HTTP 422: {"error":"bad"}' });
  });

  it('follows retry_statuses: a 409 listed is transient, a 500 left out is final', () => {
    expect(statusFailure(409, '', null, [409])).toMatchObject({ kind: 'unavailable', sent: true });
    expect(statusFailure(500, '', null, [429])).toMatchObject({ kind: 'rejected', status: 500 });
  });
});
