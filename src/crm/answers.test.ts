/**
 * What every CRM's answers mean: the shared rules (Retry-After, network errors, unreadable bodies)
 * and each vendor's table read by the one classification. The bodies are the vendors' documented
 * error shapes (amoCRM problem+json, Bitrix24 {error, error_description}); the nginx page is the
 * one amoCRM's edge answers a block with.
 */
import { describe, expect, it } from 'vitest';
import { networkFailure, parseRetryAfter, readAnswer, snippet, type VendorTable } from './answers';
import { AMOCRM_TABLE } from './amocrm/table';
import { BITRIX24_TABLE } from './bitrix24/table';
import { genericTable } from './generic/table';

const GENERIC_TABLE = genericTable({ headers: {}, retry_statuses: [429, 500, 502, 503, 504] });

function read(table: VendorTable, status: number, body: unknown, write = true, headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  return readAnswer(table, { status, text, headers: new Headers(headers) }, write);
}

function failureOf(table: VendorTable, status: number, body: unknown, write = true, headers: Record<string, string> = {}) {
  const reading = read(table, status, body, write, headers);
  if (reading.ok) throw new Error(`HTTP ${status} was read as a success`);
  return reading.failure;
}

describe('what every CRM adapter decides the same way', () => {
  it('reads Retry-After as seconds or a date, and nothing else', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(55_000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });

  it('takes a write that got no answer as possibly applied, unless the connection was never made', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(networkFailure(refused, true).failure).toMatchObject({ kind: 'unavailable', sent: false });
    expect(networkFailure(Object.assign(new Error('aborted'), { name: 'TimeoutError' }), true).failure).toEqual({
      kind: 'unavailable',
      sent: true,
      status: null,
      detail: 'no answer in time',
    });
    expect(networkFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true).failure).toMatchObject({ sent: true });
    expect(networkFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), false).failure).toMatchObject({ sent: false });
  });

  it('quotes bodies without tags or phone numbers, and reads a 2xx body as JSON or fails as unavailable', () => {
    expect(snippet('<h1>Bad</h1> call +74951234567')).not.toContain('1234567');
    expect(snippet('<h1>Bad</h1>')).toBe('Bad');
    for (const table of [AMOCRM_TABLE, GENERIC_TABLE, BITRIX24_TABLE]) {
      expect(read(table, 204, '')).toEqual({ ok: true, data: null });
      expect(read(table, 200, { a: 1 })).toEqual({ ok: true, data: { a: 1 } });
      expect(failureOf(table, 200, '<html>')).toMatchObject({ kind: 'unavailable', sent: true, status: 200 });
      // A read cannot leave an unknown outcome behind.
      expect(failureOf(table, 200, '<html>', false)).toMatchObject({ kind: 'unavailable', sent: false });
    }
  });

  it('returns an accepted refusal to the caller, and an unreadable one as unsent', () => {
    const accept = (text: string) => readAnswer(AMOCRM_TABLE, { status: 400, text, headers: new Headers() }, true, [400]);
    expect(accept('{"title":"Bad Request"}')).toEqual({ ok: true, data: { title: 'Bad Request' } });
    expect(accept('<html>')).toMatchObject({ ok: false, failure: { kind: 'unavailable', sent: false, status: 400 } });
  });
});

describe('the vendors’ tables', () => {
  const cases: [string, VendorTable, number, unknown, boolean, Record<string, unknown>][] = [
    // amoCRM
    [
      'amoCRM 401',
      AMOCRM_TABLE,
      401,
      { title: 'Unauthorized', hint: 'Token has been revoked' },
      false,
      { kind: 'unauthorized', detail: 'Unauthorized; Token has been revoked' },
    ],
    ['amoCRM 402', AMOCRM_TABLE, 402, { title: 'Payment Required' }, true, { kind: 'blocked', detail: 'HTTP 402: Payment Required' }],
    [
      'amoCRM 403 nginx page',
      AMOCRM_TABLE,
      403,
      '<html><h1>403 Forbidden</h1><center>nginx</center></html>',
      false,
      { kind: 'blocked', detail: 'HTTP 403: 403 Forbidden nginx' },
    ],
    ['amoCRM 429', AMOCRM_TABLE, 429, '', true, { kind: 'rate_limited', retryAfterMs: null }],
    ['amoCRM 504 on a write', AMOCRM_TABLE, 504, '', true, { kind: 'too_large', detail: 'HTTP 504' }],
    ['amoCRM 504 on a read', AMOCRM_TABLE, 504, '', false, { kind: 'unavailable', sent: false, status: 504 }],
    [
      'amoCRM 502 on a write',
      AMOCRM_TABLE,
      502,
      { title: 'Bad Gateway' },
      true,
      { kind: 'unavailable', sent: true, status: 502, detail: 'HTTP 502: Bad Gateway' },
    ],
    [
      'amoCRM 404',
      AMOCRM_TABLE,
      404,
      { title: 'Not Found', detail: 'Lead not found' },
      false,
      { kind: 'rejected', status: 404, detail: 'Not Found; Lead not found' },
    ],
    // a generic CRM, retry_statuses by default
    ['generic 422', GENERIC_TABLE, 422, { error: 'bad' }, true, { kind: 'rejected', status: 422, detail: 'HTTP 422: {"error":"bad"}' }],
    ['generic 503', GENERIC_TABLE, 503, '', true, { kind: 'unavailable', sent: true, status: 503, detail: 'HTTP 503' }],
    ['generic 504 on a write', GENERIC_TABLE, 504, '', true, { kind: 'unavailable', sent: true, status: 504 }],
    ['generic 403', GENERIC_TABLE, 403, 'forbidden', false, { kind: 'blocked', detail: 'HTTP 403: forbidden' }],
    // Bitrix24: the code in the body first, whatever the status
    [
      'Bitrix24 QUERY_LIMIT_EXCEEDED',
      BITRIX24_TABLE,
      503,
      { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' },
      false,
      { kind: 'rate_limited' },
    ],
    [
      'Bitrix24 OVERLOAD_LIMIT with 401',
      BITRIX24_TABLE,
      401,
      { error: 'OVERLOAD_LIMIT', error_description: 'REST API is blocked due to overload' },
      false,
      { kind: 'blocked' },
    ],
    [
      'Bitrix24 expired_token',
      BITRIX24_TABLE,
      401,
      { error: 'expired_token', error_description: 'The access token provided has expired' },
      false,
      { kind: 'unauthorized', detail: 'expired_token: The access token provided has expired' },
    ],
    [
      'Bitrix24 WRONG_AUTH_TYPE with 400',
      BITRIX24_TABLE,
      400,
      { error: 'WRONG_AUTH_TYPE', error_description: 'Current authorization type is denied for this method' },
      true,
      { kind: 'unauthorized' },
    ],
    [
      'Bitrix24 refusal with a 200',
      BITRIX24_TABLE,
      200,
      { error: 'ERROR_CORE', error_description: 'Unsupported phone number format' },
      true,
      { kind: 'rejected', status: 400, detail: 'ERROR_CORE: Unsupported phone number format' },
    ],
    [
      'Bitrix24 INTERNAL_SERVER_ERROR',
      BITRIX24_TABLE,
      500,
      { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' },
      true,
      { kind: 'unavailable', sent: true, status: 500 },
    ],
    ['Bitrix24 a bare 403', BITRIX24_TABLE, 403, { error: '', error_description: '' }, true, { kind: 'blocked', detail: 'HTTP 403' }],
    [
      'Bitrix24 an HTML 502 from a proxy',
      BITRIX24_TABLE,
      502,
      '<html>bad gateway</html>',
      false,
      { kind: 'unavailable', sent: false, status: 502, detail: 'HTTP 502: bad gateway' },
    ],
    [
      'Bitrix24 an unknown code with 400',
      BITRIX24_TABLE,
      400,
      { error: 'INVALID_ARGUMENT', error_description: 'CALL_ID' },
      true,
      { kind: 'rejected', status: 400 },
    ],
  ];

  it.each(cases)('%s', (_what, table, status, body, write, expected) => {
    expect(failureOf(table, status, body, write)).toMatchObject(expected);
  });

  it('takes the wait after a rate limit from the header the table names', () => {
    expect(failureOf(AMOCRM_TABLE, 429, '', true, { 'retry-after': '7' })).toEqual({ kind: 'rate_limited', retryAfterMs: 7000 });
    const resetHeader: VendorTable = { ...GENERIC_TABLE, waitHeader: 'x-ratelimit-reset' };
    expect(failureOf(resetHeader, 429, '', true, { 'x-ratelimit-reset': '2', 'retry-after': '9' })).toEqual({ kind: 'rate_limited', retryAfterMs: 2000 });
  });

  it('masks phone numbers in what it quotes', () => {
    expect(failureOf(AMOCRM_TABLE, 400, { title: 'Bad Request', detail: 'phone +7 495 123-45-67 is odd' })).toMatchObject({
      detail: 'Bad Request; phone ***4567 is odd',
    });
    expect(failureOf(BITRIX24_TABLE, 400, { error: 'ERROR_CORE', error_description: 'bad number +74951234567' })).toMatchObject({
      detail: 'ERROR_CORE: bad number ***4567',
    });
  });
});
