/**
 * The one HTTP client to CRMs, driven through a scripted fetch (each test says what the CRM
 * answers, in turn) and a limiter on a virtual clock: the pace and pauses, Retry-After, one
 * renewal of the credentials, the timeout, which requests are tried again — and that a write whose
 * answer was lost never is. The vendors' tables are the real ones (answers.test.ts reads them).
 */
import { describe, expect, it } from 'vitest';
import type { VendorTable } from './answers';
import { AMOCRM_TABLE } from './amocrm/table';
import { BITRIX24_TABLE } from './bitrix24/table';
import { RateLimiter } from './limiter';
import { bearer, CrmTransport, type CrmRequest, type TokenProvider } from './transport';
import { crmFailure as failure } from './testing';

type Step = Response | Error | 'hang';

/** A CRM that answers the scripted steps in turn (the last one repeats) and records what it got. */
function scriptedCrm(steps: Step[]) {
  const seen: { method: string; url: string; headers: Headers; body: string | null }[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    seen.push({ method: request.method, url: request.url, headers: request.headers, body: request.body ? await request.text() : null });
    const step = steps[Math.min(seen.length, steps.length) - 1];
    if (step === 'hang') {
      return new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    }
    if (step instanceof Error) throw step;
    return (step as Response).clone();
  }) as typeof fetch;
  return { fetcher, seen };
}

function setup(steps: Step[], over: { vendor?: VendorTable; tokens?: TokenProvider; timeoutMs?: number } = {}) {
  let t = 1_000_000;
  const penalties: number[] = [];
  const sleeps: number[] = [];
  const limiter = new RateLimiter({ rps: 1000, now: () => t, sleep: async (ms) => void (t += ms) });
  const penalize = limiter.penalize.bind(limiter);
  limiter.penalize = (ms: number) => {
    penalties.push(ms);
    penalize(ms);
  };
  const crm = scriptedCrm(steps);
  const transport = new CrmTransport({
    vendor: over.vendor ?? AMOCRM_TABLE,
    limiter,
    fetch: crm.fetcher,
    ...(over.tokens ? { credentials: bearer(over.tokens) } : {}),
    timeoutMs: over.timeoutMs ?? 1000,
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { transport, limiter, penalties, sleeps, seen: crm.seen, clock: () => t };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const empty = (status: number, headers: Record<string, string> = {}) => new Response(null, { status, headers });
const refused = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
const dropped = () => new TypeError('fetch failed: other side closed');

const GET: CrmRequest = { method: 'GET', url: 'https://crm.example/api/items' };
const POST: CrmRequest = { method: 'POST', url: 'https://crm.example/api/items', body: '[]' };

describe('the CRM transport: a request', () => {
  it('takes a slot from the limiter, sends JSON with the headers in order of precedence, and returns the JSON', async () => {
    const vendor: VendorTable = { ...AMOCRM_TABLE, headers: { 'x-vendor': 'v', 'x-both': 'vendor' } };
    const { transport, limiter, seen } = setup([json(200, { ok: 1 })], { vendor });
    const answer = await transport.request({ ...POST, headers: { 'x-both': 'request' } });
    expect(answer).toEqual({ status: 200, data: { ok: 1 } });
    expect(limiter.requests).toBe(1);
    expect(transport.requestsMade).toBe(1);
    expect(Object.fromEntries(seen[0]?.headers ?? [])).toMatchObject({
      accept: 'application/json',
      'content-type': 'application/json',
      'x-vendor': 'v',
      'x-both': 'request',
    });
    expect(seen[0]?.body).toBe('[]');
  });

  it('leaves a multipart body’s content type to fetch, and returns a status the caller accepts', async () => {
    const { transport, seen } = setup([json(409, { error: 'exists' })]);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array([1, 2])]), 'a.mp3');
    expect(await transport.request({ method: 'POST', url: 'https://crm.example/api/rec', body: form, accept: [409] })).toEqual({
      status: 409,
      data: { error: 'exists' },
    });
    expect(seen[0]?.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=/);
  });
});

describe('the CRM transport: 429', () => {
  it('pauses the account by Retry-After when it is longer than the escalating wait, then tries again', async () => {
    const { transport, penalties, seen, clock } = setup([empty(429, { 'retry-after': '7' }), json(200, {})]);
    const start = clock();
    await transport.request(POST);
    expect(penalties).toEqual([7000]);
    expect(seen).toHaveLength(2);
    // The retry waited in the limiter, not in a sleep of its own.
    expect(clock() - start).toBeGreaterThanOrEqual(7000);
  });

  it('takes the wait from the vendor’s own header when its table names one', async () => {
    const vendor: VendorTable = { ...AMOCRM_TABLE, waitHeader: 'x-ratelimit-reset' };
    const { transport, penalties } = setup([empty(429, { 'x-ratelimit-reset': '12' }), json(200, {})], { vendor });
    await transport.request(GET);
    expect(penalties).toEqual([12_000]);
  });

  it('gives up after four in a row as rate_limited, each one slowing the account more', async () => {
    const { transport, penalties, seen, limiter } = setup([empty(429)]);
    const error = await failure(transport.request(POST));
    expect(error.failure).toEqual({ kind: 'rate_limited', retryAfterMs: null });
    expect(seen).toHaveLength(4);
    expect(penalties).toEqual([1000, 2000, 4000, 8000]);
    expect(limiter.currentRps).toBeLessThan(1000);
  });

  it('reads a rate limit from the body where the vendor puts it there (Bitrix24’s QUERY_LIMIT_EXCEEDED)', async () => {
    const { transport, penalties, seen } = setup(
      [json(503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }), json(200, { result: true })],
      {
        vendor: BITRIX24_TABLE,
      },
    );
    expect((await transport.request({ ...POST, write: false })).data).toEqual({ result: true });
    expect(penalties).toEqual([1000]);
    expect(seen).toHaveLength(2);
  });
});

describe('the CRM transport: credentials', () => {
  function tokens(canRenew: boolean) {
    const renewed: string[] = [];
    let current = 'token-1';
    const provider: TokenProvider = {
      token: async () => current,
      renew: async (rejected) => {
        renewed.push(rejected);
        if (!canRenew) return false;
        current = 'token-2';
        return true;
      },
    };
    return { provider, renewed };
  }

  it('renews once after a 401, with the token that was refused, and sends the request again', async () => {
    const { provider, renewed } = tokens(true);
    const { transport, seen } = setup([json(401, { title: 'Unauthorized' }), json(200, { fine: 1 })], { tokens: provider });
    expect((await transport.request(POST)).data).toEqual({ fine: 1 });
    expect(renewed).toEqual(['token-1']);
    expect(seen.map((s) => s.headers.get('authorization'))).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('a second refusal after the renewal is unauthorized; nothing is renewed again or retried', async () => {
    const { provider, renewed } = tokens(true);
    const { transport, seen } = setup([json(401, { title: 'Unauthorized' })], { tokens: provider });
    expect((await failure(transport.request(GET))).failure.kind).toBe('unauthorized');
    expect(seen).toHaveLength(2);
    expect(renewed).toEqual(['token-1']);
  });

  it('credentials that cannot be renewed fail after one request', async () => {
    const { provider } = tokens(false);
    const { transport, seen } = setup([json(401, { title: 'Unauthorized' })], { tokens: provider });
    expect((await failure(transport.request(GET))).failure.kind).toBe('unauthorized');
    expect(seen).toHaveLength(1);
  });

  it('a block is never retried, nor taken for refused credentials', async () => {
    const { provider, renewed } = tokens(true);
    const { transport, seen } = setup([json(403, { title: 'Forbidden' })], { tokens: provider });
    expect((await failure(transport.request(GET))).failure.kind).toBe('blocked');
    expect(seen).toHaveLength(1);
    expect(renewed).toEqual([]);
  });
});

describe('the CRM transport: lost answers', () => {
  it('a write that got no answer in time is unavailable and sent, tried once', async () => {
    const { transport, seen } = setup(['hang'], { timeoutMs: 20 });
    const error = await failure(transport.request(POST));
    expect(error.failure).toEqual({ kind: 'unavailable', sent: true, status: null, detail: 'no answer in time' });
    expect(error.outcomeUnknown).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('a read that got no answer in time is tried three times', async () => {
    const { transport, seen, sleeps } = setup(['hang'], { timeoutMs: 20 });
    expect((await failure(transport.request(GET))).failure).toMatchObject({ kind: 'unavailable', sent: false });
    expect(seen).toHaveLength(3);
    expect(sleeps).toEqual([250, 500]);
  });

  it('never resends a write after a 5xx or a dropped connection', async () => {
    for (const step of [json(502, { title: 'Bad Gateway' }), dropped()]) {
      const { transport, seen } = setup([step, json(200, {})]);
      expect((await failure(transport.request(POST))).outcomeUnknown).toBe(true);
      expect(seen).toHaveLength(1);
    }
  });

  it('retries a write whose connection never opened, then says it was not sent', async () => {
    const { transport, seen, sleeps } = setup([refused()]);
    const error = await failure(transport.request(POST));
    expect(error.failure).toMatchObject({ kind: 'unavailable', sent: false });
    expect(error.outcomeUnknown).toBe(false);
    expect(seen).toHaveLength(3);
    expect(sleeps).toEqual([250, 500]);
  });

  it('retries a read after a 5xx; a write the caller marks as a read is retried too', async () => {
    const { transport, seen } = setup([json(503, {}), json(200, { second: true })]);
    expect((await transport.request(GET)).data).toEqual({ second: true });
    expect(seen).toHaveLength(2);
    const bitrix = setup([json(500, { error: 'INTERNAL_SERVER_ERROR' }), json(200, { result: [] })], { vendor: BITRIX24_TABLE });
    expect((await bitrix.transport.request({ ...POST, write: false })).data).toEqual({ result: [] });
  });

  it('a refusal is final, even when it came with a 200', async () => {
    const { transport, seen } = setup([json(200, { error: 'ERROR_CORE', error_description: 'Unsupported phone number format' })], { vendor: BITRIX24_TABLE });
    expect((await failure(transport.request(POST))).failure).toEqual({ kind: 'rejected', status: 400, detail: 'ERROR_CORE: Unsupported phone number format' });
    expect(seen).toHaveLength(1);
  });
});
