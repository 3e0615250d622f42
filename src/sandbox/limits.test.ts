import { describe, expect, it } from 'vitest';
import { call, testSandbox } from './testing';

function limited(options = {}) {
  return testSandbox({ rps: 7, ...options });
}

describe('rate limit and block', () => {
  it('answers the 8th request within one second with an empty 429', async () => {
    const { sb, clock } = limited();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await call(sb, 'GET', '/api/v4/account')).status);
      clock.advance(100);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 429]);
    expect(sb.stats().rateLimited).toBe(1);
    expect(sb.stats().byStatus).toMatchObject({ 200: 7, 429: 1 });
  });

  it('lets requests through again once the window slides past the old ones', async () => {
    const { sb, clock } = limited();
    for (let i = 0; i < 7; i++) await call(sb, 'GET', '/api/v4/account');
    expect((await call(sb, 'GET', '/api/v4/account')).status).toBe(429);
    clock.advance(999);
    expect((await call(sb, 'GET', '/api/v4/account')).status).toBe(429);
    clock.advance(1);
    expect((await call(sb, 'GET', '/api/v4/account')).status).toBe(200);
  });

  it('does not count 401s, OAuth or sandbox controls against the window', async () => {
    const { sb } = limited();
    for (let i = 0; i < 10; i++) await call(sb, 'GET', '/api/v4/account', undefined, 'wrong');
    for (let i = 0; i < 10; i++) await call(sb, 'GET', '/__sandbox/stats');
    for (let i = 0; i < 10; i++) await sb.app.request('/oauth2/access_token', { method: 'POST' });
    expect((await call(sb, 'GET', '/api/v4/account')).status).toBe(200);
  });

  it('blocks the account after 5 × 429 within 60 s: 403 HTML on every request until unblocked', async () => {
    const { sb, clock } = limited();
    for (let i = 0; i < 7; i++) await call(sb, 'GET', '/api/v4/account');
    const refused: number[] = [];
    for (let i = 0; i < 5; i++) {
      refused.push((await call(sb, 'GET', '/api/v4/account')).status);
      clock.advance(10);
    }
    expect(refused).toEqual([429, 429, 429, 429, 429]);
    expect(sb.stats().blocked).toBe(true);

    clock.advance(120_000);
    const blocked = await call(sb, 'POST', '/api/v4/calls', []);
    expect(blocked.status).toBe(403);
    expect(blocked.contentType).toContain('text/html');
    expect(blocked.text).toContain('403 Forbidden');
    expect((await call(sb, 'GET', '/api/v4/account', undefined, null)).status).toBe(403);
    expect(sb.stats().blockedRequests).toBe(2);

    sb.unblock();
    expect((await call(sb, 'GET', '/api/v4/account')).status).toBe(200);
    expect(sb.stats().blocked).toBe(false);
  });

  it('forgets 429s older than the block window, and unblocks over HTTP', async () => {
    const { sb, clock } = limited({ blockAfter429s: 2, blockWindowSeconds: 10 });
    const burst = async () => {
      for (let i = 0; i < 8; i++) await call(sb, 'GET', '/api/v4/account');
    };
    await burst();
    clock.advance(11_000);
    await burst();
    expect(sb.stats().rateLimited).toBe(2);
    expect(sb.stats().blocked).toBe(false);
    clock.advance(1000);
    await burst();
    expect(sb.stats().blocked).toBe(true);
    const unblock = await sb.app.request('/__sandbox/unblock', { method: 'POST' });
    expect(unblock.status).toBe(200);
    clock.advance(1000);
    expect((await call(sb, 'GET', '/api/v4/account')).status).toBe(200);
  });
});
