import { describe, expect, it } from 'vitest';
import { networkFailure, parseJsonBody, parseRetryAfter, snippet } from './http-failures';
import { CrmError } from './port';

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
    expect(parseJsonBody('', 204, true)).toBeNull();
    expect(parseJsonBody('{"a":1}', 200, true)).toEqual({ a: 1 });
    const unreadable = (() => {
      try {
        parseJsonBody('<html>', 200, true);
      } catch (error) {
        return error;
      }
    })();
    expect(unreadable).toBeInstanceOf(CrmError);
    expect((unreadable as CrmError).failure).toMatchObject({ kind: 'unavailable', sent: true, status: 200 });
  });
});
