import { createHash } from 'node:crypto';
import { http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { pullDeps } from '#test/pull';
import { describe, expect, it } from 'vitest';
import { YeastarDialTokens, yeastarDialer } from './originate';

/** The PBX as its API references describe it (P-Series OpenAPI v1.0, S-Series API v2.0.0); the address is invented. */
const server = strictMswServer();
const BASE = 'https://pbx.example.com:8088';
const REQUEST = { id: 'orig-9', extension: '1005', phone: '+74951234567' };

let clock = new Date('2026-11-20T10:00:00Z');
type Deps = Parameters<ReturnType<typeof yeastarDialer>['enabled']>[0];
function deps(api: Record<string, unknown> | null, clickToCall: Record<string, unknown> = {}) {
  const yeastar = { click_to_call: clickToCall, ...(api ? { api: { base_url: BASE, username: 'client-id', password: 'client-secret', ...api } } : {}) };
  return { ...(pullDeps({}, { yeastar }).deps as unknown as Deps), now: () => clock };
}

interface Seen {
  path: string;
  query: Record<string, string>;
  userAgent: string | null;
  body: unknown;
}

/** A P-Series PBX: the first `expireFirst` tokens it issues are already expired; `dial` answers a good dial. */
function pSeries(options: { expireFirst?: number; tokenErr?: number; dial?: () => object } = {}) {
  const seen: Seen[] = [];
  let issued = 0;
  const valid = new Set<string>();
  const record = async (request: Request) => {
    const url = new URL(request.url);
    seen.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), userAgent: request.headers.get('user-agent'), body: await request.json() });
    return url;
  };
  server.use(
    rest.post(`${BASE}/openapi/v1.0/get_token`, async ({ request }) => {
      await record(request);
      if (options.tokenErr) return HttpResponse.json({ errcode: options.tokenErr, errmsg: 'FAILURE' });
      const token = `tok${++issued}`;
      if (issued > (options.expireFirst ?? 0)) valid.add(token);
      return HttpResponse.json({
        errcode: 0,
        errmsg: 'SUCCESS',
        access_token_expire_time: 1800,
        access_token: token,
        refresh_token_expire_time: 86400,
        refresh_token: 'r',
      });
    }),
    rest.post(`${BASE}/openapi/v1.0/call/dial`, async ({ request }) => {
      const url = await record(request);
      if (!valid.has(url.searchParams.get('access_token') ?? '')) return HttpResponse.json({ errcode: 10004, errmsg: 'TOKEN EXPIRED' });
      return HttpResponse.json(options.dial?.() ?? { errcode: 0, errmsg: 'SUCCESS', call_id: '1646634640.152' });
    }),
  );
  return seen;
}

describe('Yeastar P-Series click-to-call', () => {
  it('gets a token, then POSTs call/dial {caller, callee} with it, User-Agent: OpenAPI', async () => {
    const seen = pSeries();
    const dialer = yeastarDialer(new YeastarDialTokens());
    expect(await dialer.originate(REQUEST, deps({ edition: 'p-series' }))).toEqual({ status: 'requested', vendorRef: '1646634640.152' });
    expect(seen).toEqual([
      { path: '/openapi/v1.0/get_token', query: {}, userAgent: 'OpenAPI', body: { username: 'client-id', password: 'client-secret' } },
      {
        path: '/openapi/v1.0/call/dial',
        query: { access_token: 'tok1' },
        userAgent: 'OpenAPI',
        body: { caller: '1005', callee: '74951234567', auto_answer: 'no' },
      },
    ]);
  });

  it('keeps the token until it lapses, and renews it on errcode 10004', async () => {
    const seen = pSeries({ expireFirst: 1 });
    const dialer = yeastarDialer(new YeastarDialTokens());
    const d = deps({ edition: 'p-series' }, { auto_answer: true, dial_permission: '2002' });
    expect(await dialer.originate(REQUEST, d)).toMatchObject({ status: 'requested' });
    expect(await dialer.originate(REQUEST, d)).toMatchObject({ status: 'requested' });
    expect(seen.map((s) => `${s.path} ${s.query.access_token ?? ''}`.trim())).toEqual([
      '/openapi/v1.0/get_token',
      '/openapi/v1.0/call/dial tok1',
      '/openapi/v1.0/get_token',
      '/openapi/v1.0/call/dial tok2',
      '/openapi/v1.0/call/dial tok2',
    ]);
    expect(seen[1]?.body).toEqual({ caller: '1005', callee: '74951234567', auto_answer: 'yes', dial_permission: '2002' });
    clock = new Date(clock.getTime() + 30 * 60_000);
    await dialer.originate(REQUEST, d);
    expect(seen.at(-2)?.path).toBe('/openapi/v1.0/get_token');
  });

  it.each([
    [{ errcode: 60001, errmsg: 'DATA NOT FOUND' }, /extension 1005 or the number/, false],
    [{ errcode: 10005, errmsg: 'ACCESS DENIED' }, /API access/, false],
    [{ errcode: -2, errmsg: 'INTERNAL SERVER ERROR' }, /try again/, true],
  ])('maps %j to a reason for the rep', async (answer, reason, retryable) => {
    pSeries({ dial: () => answer });
    expect(await yeastarDialer(new YeastarDialTokens()).originate(REQUEST, deps({ edition: 'p-series' }))).toEqual({
      status: 'refused',
      reason: expect.stringMatching(reason),
      retryable,
    });
  });

  it('refuses when the login is refused, and does not log in again for 10 minutes', async () => {
    const seen = pSeries({ tokenErr: 20002 });
    const dialer = yeastarDialer(new YeastarDialTokens());
    const d = deps({ edition: 'p-series' });
    expect(await dialer.originate(REQUEST, d)).toEqual({ status: 'refused', reason: expect.stringMatching(/refused calltrail's API login/), retryable: false });
    expect(await dialer.originate(REQUEST, d)).toMatchObject({ status: 'refused', retryable: false });
    expect(seen).toHaveLength(1);
  });

  it('calls the PBX unreachable retryable', async () => {
    server.use(rest.post(`${BASE}/openapi/v1.0/get_token`, () => HttpResponse.error()));
    expect(await yeastarDialer(new YeastarDialTokens()).originate(REQUEST, deps({ edition: 'p-series' }))).toEqual({
      status: 'refused',
      reason: expect.stringMatching(/could not be reached/),
      retryable: true,
    });
  });
});

/** An S-Series PBX: login with the MD5 of the password; tokens it forgets after `forgetFirst` dials. */
function sSeries(options: { dial?: () => object; forgetFirst?: number } = {}) {
  const seen: Seen[] = [];
  let issued = 0;
  server.use(
    rest.post(`${BASE}/api/v2.0.0/login`, async ({ request }) => {
      seen.push({ path: '/api/v2.0.0/login', query: {}, userAgent: null, body: await request.json() });
      return HttpResponse.json({ status: 'Success', token: `stok${++issued}` });
    }),
    rest.post(`${BASE}/api/v2.0.0/call/dial_outbound`, async ({ request }) => {
      const url = new URL(request.url);
      seen.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), userAgent: null, body: await request.json() });
      if (issued <= (options.forgetFirst ?? 0)) return HttpResponse.json({ status: 'Failed', errno: '20006' });
      return HttpResponse.json(options.dial?.() ?? { status: 'Success', callid: '1495710387.333' });
    }),
  );
  return seen;
}

describe('Yeastar S-Series click-to-call', () => {
  it('logs in with the MD5 of the password, then POSTs call/dial_outbound {extid, outto, autoanswer}', async () => {
    const seen = sSeries();
    const d = deps({ edition: 's-series', username: 'api', password: 'Passw0rd', login_fields: { port: '8260' } });
    expect(await yeastarDialer(new YeastarDialTokens()).originate(REQUEST, d)).toEqual({ status: 'requested', vendorRef: '1495710387.333' });
    const md5 = createHash('md5').update('Passw0rd').digest('hex');
    expect(seen).toEqual([
      { path: '/api/v2.0.0/login', query: {}, userAgent: null, body: { port: '8260', username: 'api', password: md5 } },
      { path: '/api/v2.0.0/call/dial_outbound', query: { token: 'stok1' }, userAgent: null, body: { extid: '1005', outto: '74951234567', autoanswer: 'no' } },
    ]);
  });

  it('logs in again when the PBX says the token timed out (errno 20006)', async () => {
    const seen = sSeries({ forgetFirst: 1 });
    expect(await yeastarDialer(new YeastarDialTokens()).originate(REQUEST, deps({ edition: 's-series' }))).toMatchObject({ status: 'requested' });
    expect(seen.map((s) => s.path)).toEqual(['/api/v2.0.0/login', '/api/v2.0.0/call/dial_outbound', '/api/v2.0.0/login', '/api/v2.0.0/call/dial_outbound']);
  });

  it.each([
    ['10006', /no extension 1005/, false],
    ['10008', /busy/, true],
    ['10024', /may not call outside numbers/, false],
    ['10031', /does not accept this number/, false],
  ])('maps errno %s to a reason for the rep', async (errno, reason, retryable) => {
    sSeries({ dial: () => ({ status: 'Failed', errno }) });
    expect(await yeastarDialer(new YeastarDialTokens()).originate(REQUEST, deps({ edition: 's-series' }))).toEqual({
      status: 'refused',
      reason: expect.stringMatching(reason),
      retryable,
    });
  });
});

describe('Yeastar click-to-call switch', () => {
  it('is enabled by sources.yeastar.api and the config switch', () => {
    const dialer = yeastarDialer();
    expect(dialer.enabled(deps({ edition: 'p-series' }))).toBe(true);
    expect(dialer.enabled(deps({ edition: 'p-series' }, { enabled: false }))).toBe(false);
    expect(dialer.enabled(deps(null))).toBe(false);
  });
});
