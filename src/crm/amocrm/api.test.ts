import { delay, http as rest, HttpResponse, type JsonBodyType } from 'msw';
import { strictMswServer } from '#test/msw';
import { describe, expect, it } from 'vitest';
import { describeBody } from './table';
import { BASE_URL, countingTokens, makeHttp } from './testing';
import { crmFailure as failure } from '../testing';

const server = strictMswServer();

const url = (path: string) => `${BASE_URL}${path}`;

/** Answers in turn (the last one repeats) and counts the requests with what they carried. */
function sequence(method: 'get' | 'post' | 'patch', path: string, answers: Array<() => Response | Promise<Response>>) {
  const seen: { authorization: string | null; body: string; url: string; contentType: string | null }[] = [];
  server.use(
    rest[method](url(path), async ({ request }) => {
      seen.push({
        authorization: request.headers.get('authorization'),
        contentType: request.headers.get('content-type'),
        body: await request.text(),
        url: request.url,
      });
      const answer = answers[Math.min(seen.length, answers.length) - 1];
      if (!answer) throw new Error('no answer');
      return answer();
    }),
  );
  return seen;
}

const ok =
  (body: JsonBodyType = { ok: true }) =>
  () =>
    HttpResponse.json(body);
const status = (code: number, body?: JsonBodyType, headers?: Record<string, string>) => () =>
  body === undefined ? new HttpResponse(null, { status: code, headers }) : HttpResponse.json(body, { status: code, headers });

describe('amoCRM over the transport: requests', () => {
  it('sends the bearer token, JSON body and query, and returns the parsed answer', async () => {
    const seen = sequence('post', '/api/v4/calls', [ok({ _embedded: { calls: [] } })]);
    const { http, limiter } = makeHttp();
    const query = new URLSearchParams({ a: '1', 'filter[x][]': 'y' });
    const res = await http.request({ method: 'POST', path: '/api/v4/calls', body: [{ phone: '+74951234567' }], query });
    expect(res).toEqual({ status: 200, data: { _embedded: { calls: [] } } });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.authorization).toBe('Bearer token-1');
    expect(seen[0]?.contentType).toMatch(/application\/json/);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual([{ phone: '+74951234567' }]);
    expect(new URL(seen[0]?.url ?? '').searchParams.getAll('filter[x][]')).toEqual(['y']);
    expect(limiter.requests).toBe(1);
    expect(http.requestsMade).toBe(1);
  });

  it('answers 204 with data null', async () => {
    sequence('get', '/api/v4/leads/notes', [status(204)]);
    const { http } = makeHttp();
    expect(await http.request({ method: 'GET', path: '/api/v4/leads/notes' })).toEqual({ status: 204, data: null });
  });

  it('goes through the limiter before every request', async () => {
    sequence('get', '/api/v4/contacts', [ok()]);
    const { http, limiter } = makeHttp();
    await http.request({ method: 'GET', path: '/api/v4/contacts' });
    await http.request({ method: 'GET', path: '/api/v4/contacts' });
    await http.request({ method: 'GET', path: '/api/v4/contacts' });
    expect(limiter.requests).toBe(3);
  });
});

describe('amoCRM over the transport: 401', () => {
  it('renews once and retries with the new token', async () => {
    const seen = sequence('get', '/api/v4/contacts', [status(401, { title: 'Unauthorized' }), ok({ fine: 1 })]);
    const { http, tokens } = makeHttp();
    expect((await http.request({ method: 'GET', path: '/api/v4/contacts' })).data).toEqual({ fine: 1 });
    expect(tokens.renewed).toEqual(['token-1']);
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('a second 401 after renewal is unauthorized, with no further renewal', async () => {
    const seen = sequence('post', '/api/v4/calls', [status(401, { title: 'Unauthorized', hint: 'Token has been revoked' })]);
    const { http, tokens } = makeHttp({ tokens: countingTokens(['a', 'b', 'c']) });
    const error = await failure(http.request({ method: 'POST', path: '/api/v4/calls', body: [] }));
    expect(error.failure).toEqual({ kind: 'unauthorized', detail: 'Unauthorized; Token has been revoked' });
    expect(error.status).toBe(401);
    expect(seen).toHaveLength(2);
    expect(tokens.renewed).toEqual(['a']);
  });

  it('a 401 with no way to renew fails after one request', async () => {
    const seen = sequence('get', '/api/v4/contacts', [status(401, { title: 'Unauthorized' })]);
    const { http } = makeHttp({ tokens: countingTokens(['only'], false) });
    expect((await failure(http.request({ method: 'GET', path: '/api/v4/contacts' }))).failure.kind).toBe('unauthorized');
    expect(seen).toHaveLength(1);
  });
});

describe('amoCRM over the transport: blocks', () => {
  it('403 with nginx’s HTML page is blocked and never retried', async () => {
    const html = '<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>';
    const seen = sequence('get', '/api/v4/contacts', [() => new HttpResponse(html, { status: 403, headers: { 'content-type': 'text/html' } })]);
    const { http, tokens } = makeHttp();
    const error = await failure(http.request({ method: 'GET', path: '/api/v4/contacts' }));
    expect(error.failure.kind).toBe('blocked');
    expect(error.failure.kind === 'blocked' && error.failure.detail).toMatch(/^HTTP 403: 403 Forbidden.*nginx$/);
    expect(error.failure.kind === 'blocked' && error.failure.detail).not.toContain('<');
    expect(seen).toHaveLength(1);
    expect(tokens.renewed).toEqual([]);
  });

  it('402 (account unpaid) is blocked, not retried', async () => {
    const seen = sequence('post', '/api/v4/calls', [status(402, { title: 'Payment Required' })]);
    const { http } = makeHttp();
    const error = await failure(http.request({ method: 'POST', path: '/api/v4/calls', body: [] }));
    expect(error.failure).toEqual({ kind: 'blocked', detail: 'HTTP 402: Payment Required' });
    expect(seen).toHaveLength(1);
  });
});

describe('amoCRM over the transport: 429', () => {
  it('retries after a 429 and penalizes the limiter', async () => {
    const seen = sequence('post', '/api/v4/calls', [status(429), ok({ done: true })]);
    const { http, limiter, penalties } = makeHttp();
    const res = await http.request({ method: 'POST', path: '/api/v4/calls', body: [] });
    expect(res.data).toEqual({ done: true });
    expect(seen).toHaveLength(2);
    expect(penalties).toEqual([1000]);
    expect(limiter.currentRps).toBe(500);
  });

  it('the pause after a 429 holds the next request back by the escalating wait', async () => {
    sequence('get', '/api/v4/contacts', [status(429), status(429), ok()]);
    const { http, sleeps } = makeHttp();
    await http.request({ method: 'GET', path: '/api/v4/contacts' });
    // The limiter slept through each pause (roughly 1 s, then 2 s) before the retry.
    expect(sleeps.filter((ms) => ms > 900)).toHaveLength(2);
    expect(Math.max(...sleeps)).toBeGreaterThan(1900);
  });

  it('honours a Retry-After header longer than the escalating wait', async () => {
    sequence('get', '/api/v4/contacts', [status(429, undefined, { 'retry-after': '7' }), ok()]);
    const { http, penalties } = makeHttp();
    await http.request({ method: 'GET', path: '/api/v4/contacts' });
    expect(penalties).toEqual([7000]);
  });

  it('four 429s in a row fail as rate_limited', async () => {
    const seen = sequence('get', '/api/v4/contacts', [status(429)]);
    const { http, penalties } = makeHttp();
    const error = await failure(http.request({ method: 'GET', path: '/api/v4/contacts' }));
    expect(error.failure).toEqual({ kind: 'rate_limited', retryAfterMs: null });
    expect(error.status).toBe(429);
    expect(seen).toHaveLength(4);
    // Each 429 that is retried slowed the limiter with the escalating wait.
    expect(penalties.slice(0, 3)).toEqual([1000, 2000, 4000]);
  });
});

describe('amoCRM over the transport: 5xx and lost answers', () => {
  it('502 on a write is unavailable with sent=true and is not retried', async () => {
    const seen = sequence('post', '/api/v4/calls', [status(502, { title: 'Bad Gateway' }), ok()]);
    const { http } = makeHttp();
    const error = await failure(http.request({ method: 'POST', path: '/api/v4/calls', body: [] }));
    expect(error.failure).toEqual({ kind: 'unavailable', sent: true, status: 502, detail: 'HTTP 502: Bad Gateway' });
    expect(error.outcomeUnknown).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('502 on a PATCH is not retried either', async () => {
    const seen = sequence('patch', '/api/v4/leads/notes', [status(502), ok()]);
    const { http } = makeHttp();
    expect((await failure(http.request({ method: 'PATCH', path: '/api/v4/leads/notes', body: [] }))).outcomeUnknown).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('502 on a read is retried', async () => {
    const seen = sequence('get', '/api/v4/contacts', [status(502), ok({ second: true })]);
    const { http } = makeHttp();
    expect((await http.request({ method: 'GET', path: '/api/v4/contacts' })).data).toEqual({ second: true });
    expect(seen).toHaveLength(2);
  });

  it('a read that keeps failing gives up after three tries', async () => {
    const seen = sequence('get', '/api/v4/contacts', [status(503)]);
    const { http } = makeHttp();
    const error = await failure(http.request({ method: 'GET', path: '/api/v4/contacts' }));
    expect(error.failure).toMatchObject({ kind: 'unavailable', status: 503 });
    expect(seen).toHaveLength(3);
  });

  it('504 on a write means the batch was too large (outcome unknown), not retried', async () => {
    const seen = sequence('post', '/api/v4/calls', [status(504), ok()]);
    const { http } = makeHttp();
    const error = await failure(http.request({ method: 'POST', path: '/api/v4/calls', body: [] }));
    expect(error.failure).toEqual({ kind: 'too_large', detail: 'HTTP 504' });
    expect(error.outcomeUnknown).toBe(true);
    expect(error.status).toBe(504);
    expect(seen).toHaveLength(1);
  });

  it('504 on a read is a plain unavailable, retried', async () => {
    const seen = sequence('get', '/api/v4/contacts', [status(504), ok()]);
    const { http } = makeHttp();
    await http.request({ method: 'GET', path: '/api/v4/contacts' });
    expect(seen).toHaveLength(2);
  });

  it('a dropped connection on a write is unavailable with sent=true, not retried', async () => {
    const seen = sequence('post', '/api/v4/calls', [() => HttpResponse.error(), ok()]);
    const { http } = makeHttp();
    const error = await failure(http.request({ method: 'POST', path: '/api/v4/calls', body: [] }));
    expect(error.failure).toMatchObject({ kind: 'unavailable', sent: true, status: null });
    expect(error.outcomeUnknown).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('a dropped connection on a read is retried', async () => {
    const seen = sequence('get', '/api/v4/contacts', [() => HttpResponse.error(), ok({ back: 1 })]);
    const { http } = makeHttp();
    expect((await http.request({ method: 'GET', path: '/api/v4/contacts' })).data).toEqual({ back: 1 });
    expect(seen).toHaveLength(2);
  });

  it('no answer in time on a write is unavailable with sent=true', async () => {
    sequence('post', '/api/v4/calls', [
      async () => {
        await delay(500);
        return HttpResponse.json({});
      },
    ]);
    const { http } = makeHttp({ timeoutMs: 50 });
    const error = await failure(http.request({ method: 'POST', path: '/api/v4/calls', body: [] }));
    expect(error.failure).toEqual({ kind: 'unavailable', sent: true, status: null, detail: 'no answer in time' });
  });

  it('a refused connection never reached amoCRM: a write is retried in-run, then unavailable with sent=false', async () => {
    let calls = 0;
    const refused: typeof fetch = async () => {
      calls++;
      throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }) });
    };
    const { http } = makeHttp({ fetch: refused });
    const error = await failure(http.request({ method: 'POST', path: '/api/v4/calls', body: [] }));
    expect(error.failure).toMatchObject({ kind: 'unavailable', sent: false, status: null });
    expect(error.outcomeUnknown).toBe(false);
    expect(calls).toBe(3);
  });

  it('a 200 it cannot read on a write is unavailable with sent=true (it may have been stored)', async () => {
    const seen = sequence('post', '/api/v4/calls', [() => new HttpResponse('<html>oops</html>', { status: 200, headers: { 'content-type': 'text/html' } })]);
    const { http } = makeHttp();
    const error = await failure(http.request({ method: 'POST', path: '/api/v4/calls', body: [] }));
    expect(error.failure).toMatchObject({ kind: 'unavailable', sent: true, status: 200 });
    expect(error.failure.kind === 'unavailable' && error.failure.detail).toContain('unreadable answer: oops');
    expect(seen).toHaveLength(1);
  });
});

describe('amoCRM over the transport: 4xx', () => {
  const validation = {
    'validation-errors': [
      { request_id: '0', errors: [{ code: 'NotSupportedChoice', path: 'direction', detail: 'The value you selected is not a valid choice.' }] },
    ],
    title: 'Bad Request',
    type: 'https://httpstatus.es/400',
    status: 400,
    detail: 'Request validation failed',
  };

  it('a status in `accept` is returned to the caller with its body', async () => {
    sequence('post', '/api/v4/calls', [status(400, validation)]);
    const { http } = makeHttp();
    expect(await http.request({ method: 'POST', path: '/api/v4/calls', body: [], accept: [400] })).toEqual({ status: 400, data: validation });
  });

  it('a 400 not accepted is rejected with the problem+json detail and validation errors, not retried', async () => {
    const seen = sequence('post', '/api/v4/contacts', [
      () => HttpResponse.json(validation, { status: 400, headers: { 'content-type': 'application/problem+json' } }),
    ]);
    const { http } = makeHttp();
    const error = await failure(http.request({ method: 'POST', path: '/api/v4/contacts', body: [] }));
    expect(error.failure).toEqual({
      kind: 'rejected',
      status: 400,
      detail: 'Bad Request; Request validation failed; direction: The value you selected is not a valid choice.',
    });
    expect(seen).toHaveLength(1);
  });

  it('other 4xx are rejected with their status', async () => {
    const seen = sequence('get', '/api/v4/leads/1', [status(404, { title: 'Not Found', detail: 'Lead not found' })]);
    const { http } = makeHttp();
    const error = await failure(http.request({ method: 'GET', path: '/api/v4/leads/1' }));
    expect(error.failure).toEqual({ kind: 'rejected', status: 404, detail: 'Not Found; Lead not found' });
    expect(seen).toHaveLength(1);
  });

  it('an accepted status with an empty body gives data null', async () => {
    sequence('post', '/api/v4/calls', [status(400)]);
    const { http } = makeHttp();
    expect(await http.request({ method: 'POST', path: '/api/v4/calls', body: [], accept: [400] })).toEqual({ status: 400, data: null });
  });
});

describe('describeBody', () => {
  it('masks phone numbers in what it keeps', () => {
    expect(describeBody(JSON.stringify({ title: 'Bad Request', detail: 'phone +7 495 123-45-67 is odd' }))).toBe('Bad Request; phone ***4567 is odd');
  });

  it('keeps the start of a non-JSON body without its tags', () => {
    expect(describeBody('<h1>Bad</h1> gateway')).toBe('Bad gateway');
    expect(describeBody('')).toBe('');
  });
});
