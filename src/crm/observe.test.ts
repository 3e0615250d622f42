/**
 * What the transport reports of each try: counters of outcomes and HTTP statuses per budget (the
 * numbers GET /metrics serves), and paths made safe for spans.
 */
import { describe, expect, it } from 'vitest';
import { AMOCRM_TABLE } from './amocrm/table';
import { RateLimiter } from './limiter';
import { crmCounters, pathTemplate } from './observe';
import { CrmTransport } from './transport';

function transportAnswering(answers: (Response | Error)[]) {
  let t = 1_000_000;
  const limiter = new RateLimiter({ rps: 1000, now: () => t, sleep: async (ms) => void (t += ms) });
  let i = 0;
  const fetcher = (async () => {
    const answer = answers[Math.min(i++, answers.length - 1)] as Response | Error;
    if (answer instanceof Error) throw answer;
    return answer.clone();
  }) as typeof fetch;
  const transport = new CrmTransport({ vendor: AMOCRM_TABLE, limiter, fetch: fetcher, sleep: async () => {} });
  return { transport, limiter };
}

const json = (status: number, body: unknown = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('the counters of a CRM account', () => {
  it('count every try by outcome and every answer by status: a 429 retried, then done', async () => {
    const { transport, limiter } = transportAnswering([json(429), json(200, { ok: 1 })]);
    await transport.request({ method: 'GET', url: 'https://x.amocrm.ru/api/v4/account' });
    const counters = crmCounters(limiter);
    expect(Object.fromEntries(counters.outcomes)).toEqual({ rate_limited: 1, ok: 1 });
    expect(Object.fromEntries(counters.statuses)).toEqual({ 429: 1, 200: 1 });
    expect(limiter.requests).toBe(2);
  });

  it('count a 403 block, and a request that got no answer as network', async () => {
    const { transport, limiter } = transportAnswering([json(403), new TypeError('fetch failed')]);
    await expect(transport.request({ method: 'POST', url: 'https://x.amocrm.ru/api/v4/calls', body: '[]' })).rejects.toThrow();
    await expect(transport.request({ method: 'POST', url: 'https://x.amocrm.ru/api/v4/calls', body: '[]' })).rejects.toThrow();
    const counters = crmCounters(limiter);
    expect(counters.outcomes.get('blocked')).toBe(1);
    expect(counters.statuses.get(403)).toBe(1);
    expect(counters.outcomes.get('network')).toBeGreaterThanOrEqual(1);
    expect([...counters.statuses.keys()]).toEqual([403]);
  });

  it('are kept per budget: another account starts at zero', () => {
    const other = new RateLimiter({ rps: 7 });
    expect(crmCounters(other).outcomes.size).toBe(0);
    expect(crmCounters(other)).toBe(crmCounters(other));
  });
});

describe('a CRM path in a span', () => {
  it('keeps words and API versions, hides ids, numbers, secrets and the query', () => {
    expect(pathTemplate('https://x.amocrm.ru/api/v4/leads/12345/notes?query=%2B79161234567')).toBe('/api/v4/leads/{x}/notes');
    expect(pathTemplate('https://x.amocrm.ru/api/v4/contacts?query=79161234567')).toBe('/api/v4/contacts');
    // A Bitrix24 inbound webhook: user id and secret in the path.
    expect(pathTemplate('https://acme.bitrix24.ru/rest/1/abcdefghijklmnop/telephony.externalcall.register.json')).toBe(
      '/rest/{x}/{x}/telephony.externalcall.register.json',
    );
    expect(pathTemplate('https://acme.bitrix24.ru/rest/1/k3y9secret/crm.activity.add')).toBe('/rest/{x}/{x}/crm.activity.add');
    expect(pathTemplate('https://api.example.com/v3/search/+7%20916%20123-45-67')).toBe('/v3/search/{x}');
    expect(pathTemplate('https://api.example.com/v1/people/ivan@example.com')).toBe('/v1/people/{x}');
    expect(pathTemplate('not a url')).toBe('{x}');
  });
});
