import { describe, expect, it } from 'vitest';
import { parseIntegratorConfig } from '../../settings/integrator';
import { memoryLogger } from '../../lib/log';
import { createFakeRestCrm, fakeCrmConfig, type FakeCrmOptions } from '#test/fake-rest-crm';
import { RateLimiter } from '../limiter';
import type { CallToLog } from '../port';
import { crmFailure as failure } from '../testing';
import { genericAdapter } from './connect';

const BASE = 'https://crm.example/api';

function setup(
  options: {
    crm?: FakeCrmOptions;
    generic?: Record<string, unknown>;
    secrets?: Record<string, string>;
    pagination?: 'page' | 'offset' | 'cursor';
    pageSize?: number;
  } = {},
) {
  const crm = createFakeRestCrm(options.crm);
  const generic = { ...fakeCrmConfig(BASE, options.pagination, options.pageSize), ...options.generic };
  const config = parseIntegratorConfig(JSON.stringify({ crm: { adapter: 'generic', generic } }), 'c.json');
  const sleeps: number[] = [];
  // A virtual clock: the limiter's pauses (after a 429) pass at once, and are counted.
  let clock = 0;
  const fetchUrl = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith('https://down.example')) throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    if (!url.startsWith(BASE) && !url.startsWith('https://crm.example/oauth')) throw new TypeError(`unexpected request to ${url}`);
    return crm.fetch(new Request(url.replace('/api/', '/').replace('/api?', '?'), init));
  };
  const adapter = genericAdapter(config.crm.generic!, {
    config,
    limiter: new RateLimiter({
      rps: 1000,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    }),
    log: memoryLogger(),
    secrets: options.secrets ?? {},
    fetch: fetchUrl as typeof fetch,
    fetchRecording: async () => new Response(new Uint8Array([1, 2, 3, 4])),
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { crm, adapter, sleeps };
}

function call(overrides: Partial<CallToLog> = {}): CallToLog {
  return {
    requestId: 'd1',
    uniq: 'ct1-abc',
    direction: 'inbound',
    phone: '+74951234567',
    startedAt: new Date('2026-11-20T07:00:00Z'),
    durationSeconds: 65,
    outcome: 'answered',
    extension: '101',
    link: 'https://calltrail.example/recordings/a.mp3',
    status: 4,
    resultText: 'Conversation',
    userId: null,
    contactName: '+74951234567',
    leadName: 'Call',
    ...overrides,
  };
}

describe('the generic adapter', () => {
  it('finds the contact by trying the phone formats in order, then logs the call with typed values', async () => {
    const { crm, adapter } = setup();
    crm.contacts.push({ id: 7, name: 'Ivan', phone: '84951234567' });
    const [result] = await adapter.logCalls([call()]);
    expect(result).toEqual({ status: 'logged', ref: { noteId: expect.any(Number), entityId: 7, entityType: 'contacts' } });
    expect(crm.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /contacts?phone=%2B74951234567', 'GET /contacts?phone=84951234567', 'POST /calls']);
    expect(crm.calls[0]).toMatchObject({
      contact_id: 7,
      external_id: 'ct1-abc',
      duration: 65,
      recording_url: 'https://calltrail.example/recordings/a.mp3',
      note: 'Call inbound with +74951234567 (1:05)',
    });
  });

  it('says unknown_number when no format finds anyone, and creates the contact on request', async () => {
    const { crm, adapter } = setup();
    expect(await adapter.logCalls([call()])).toEqual([{ status: 'unknown_number' }]);
    const [created] = await adapter.createContacts([{ requestId: 'd1', name: 'New caller', phone: '+74951234567', userId: null }]);
    expect(crm.contacts).toEqual([{ id: created!.id, name: 'New caller', phone: '+74951234567' }]);
    expect((await adapter.logCalls([call()]))[0]?.status).toBe('logged');
  });

  it('uploads the recording as multipart in multipart mode; a second upload (409) counts as done', async () => {
    const { crm, adapter } = setup({
      generic: { attach_recording: { mode: 'multipart', request: { path: '/calls/{{ crm_call_id }}/recording' }, field: 'file' } },
    });
    crm.contacts.push({ id: 7, name: 'Ivan', phone: '+74951234567' });
    const [result] = await adapter.logCalls([call()]);
    expect(crm.calls[0]?.recording_bytes).toBe(4);
    if (result?.status !== 'logged') throw new Error('not logged');
    await adapter.updateLoggedCalls([{ ref: result.ref, call: call() }]);
    expect(crm.requests.filter((r) => r.url.endsWith('/recording')).map((r) => r.status)).toEqual([201, 409]);
  });

  it('maps answers to failure kinds: a dropped answer after a write is unavailable and sent', async () => {
    const { crm, adapter } = setup();
    crm.contacts.push({ id: 7, name: 'Ivan', phone: '+74951234567' });
    crm.dropAnswer('log_call');
    const [result] = await adapter.logCalls([call()]);
    if (result?.status !== 'failed') throw new Error(`expected failed, got ${result?.status}`);
    expect(result.error.failure).toMatchObject({ kind: 'unavailable', sent: true, status: 504 });
    expect(result.error.outcomeUnknown).toBe(true);
    expect(crm.calls).toHaveLength(1);
    // The look-up finds it by uniq.
    const pages = [];
    for await (const page of adapter.listLoggedCalls({ from: new Date(0), to: new Date('2100-01-01') })) pages.push(page);
    expect(pages.flatMap((p) => p.calls.map((c) => c.uniq))).toEqual(['ct1-abc']);
  });

  it('refuses (rejected) what the CRM refuses with a 4xx, and reports a network error before sending as unsent', async () => {
    const { crm, adapter } = setup();
    crm.contacts.push({ id: 7, name: 'Ivan', phone: '+74951234567' });
    const rejected = await failure(adapter.createContacts([{ requestId: 'd', name: '', phone: '', userId: null }]));
    expect(rejected.failure).toMatchObject({ kind: 'rejected', status: 422 });
    expect(rejected.outcomeUnknown).toBe(false);
    const down = setup({ generic: { base_url: 'https://down.example/api' } });
    const unsent = await failure(down.adapter.createContacts([{ requestId: 'd', name: 'A', phone: '+74951234567', userId: null }]));
    expect(unsent.failure).toMatchObject({ kind: 'unavailable', sent: false });
  });

  it('says unauthorized when the credentials are refused', async () => {
    const { adapter } = setup({ crm: { auth: { type: 'bearer', token: 'right' } }, generic: { auth: { type: 'bearer', token: 'wrong' } } });
    expect((await failure(adapter.findContacts('+74951234567'))).failure.kind).toBe('unauthorized');
  });

  it('retries a 429 after Retry-After, paced by the limiter', async () => {
    const { crm, adapter, sleeps } = setup({ crm: { rate: { requests: 1, windowMs: 60_000, retryAfterSeconds: 0 } } });
    // The first format's search passes; every request after it is refused, and after four
    // tries in a row the adapter gives up and says so (the run leaves the work for later).
    const error = await failure(adapter.findContacts('+74951234567'));
    expect(error.failure.kind).toBe('rate_limited');
    expect(crm.requests.map((r) => r.status)).toEqual([200, 429, 429, 429, 429]);
    // Each 429 paused the account's limiter, longer each time.
    expect(sleeps.filter((ms) => ms >= 999).map(Math.round)).toEqual([1000, 2000, 4000]);
  });
});

describe('credentials', () => {
  it('sends bearer, basic and header credentials, resolving {env: NAME} secrets', async () => {
    for (const [fake, configured] of [
      [
        { type: 'bearer', token: 's3cret' },
        { type: 'bearer', token: { env: 'CRM_TOKEN' } },
      ],
      [
        { type: 'basic', username: 'u', password: 'p:w' },
        { type: 'basic', username: 'u', password: { env: 'CRM_TOKEN' } },
      ],
      [
        { type: 'header', name: 'X-Api-Key', value: 's3cret' },
        { type: 'header', name: 'X-Api-Key', value: { env: 'CRM_TOKEN' } },
      ],
    ] as const) {
      const secret = fake.type === 'basic' ? 'p:w' : 's3cret';
      const { adapter } = setup({ crm: { auth: fake }, generic: { auth: configured }, secrets: { CRM_TOKEN: secret } });
      expect(await adapter.findContacts('+74951234567')).toEqual([]);
    }
  });

  it('names a missing environment variable, never a value', async () => {
    const { adapter } = setup({ generic: { auth: { type: 'bearer', token: { env: 'CRM_TOKEN' } } } });
    const error = await failure(adapter.findContacts('+74951234567'));
    expect(error.failure).toEqual({ kind: 'unauthorized', detail: 'the environment variable CRM_TOKEN named in crm.generic.auth is not set' });
  });

  it('fetches an OAuth 2.0 client-credentials token once, keeps it, and fetches anew once after a 401', async () => {
    const { crm, adapter } = setup({
      crm: { auth: { type: 'oauth2', clientId: 'id', clientSecret: 'sec' } },
      generic: {
        auth: { type: 'oauth2_client_credentials', token_url: 'https://crm.example/oauth/token', client_id: 'id', client_secret: { env: 'CLIENT_SECRET' } },
      },
      secrets: { CLIENT_SECRET: 'sec' },
    });
    await adapter.findContacts('+74951234567');
    await adapter.findContacts('+74951234567');
    expect(crm.tokensIssued).toBe(1);
    crm.revokeTokens();
    await adapter.findContacts('+74951234567');
    expect(crm.tokensIssued).toBe(2);
    expect(crm.requests.filter((r) => r.status === 401)).toHaveLength(1);
  });
});

describe('listing logged calls', () => {
  for (const pagination of ['page', 'offset', 'cursor'] as const) {
    it(`pages through every call (${pagination}), each page resumable from its position`, async () => {
      const { crm, adapter } = setup({ pagination, pageSize: 2, crm: { pagination, maxPageSize: 2 } });
      crm.contacts.push({ id: 7, name: 'Ivan', phone: '+74951234567' });
      for (let i = 0; i < 5; i++) await adapter.logCalls([call({ uniq: `ct1-${i}`, requestId: `d${i}` })]);
      const window = { from: new Date(0), to: new Date('2100-01-01') };
      const pages = [];
      for await (const page of adapter.listLoggedCalls(window)) pages.push(page);
      expect(pages.map((p) => p.calls.map((c) => c.uniq))).toEqual([['ct1-0', 'ct1-1'], ['ct1-2', 'ct1-3'], ['ct1-4']]);
      expect(pages.at(-1)?.next).toBeNull();
      const resumed = [];
      for await (const page of adapter.listLoggedCalls(window, pages[1]!.position)) resumed.push(...page.calls.map((c) => c.uniq));
      expect(resumed).toEqual(['ct1-2', 'ct1-3', 'ct1-4']);
    });
  }

  it('reads the recording link with list_calls.link, and says it cannot tell (undefined) without that selector', async () => {
    const listed = async (generic?: Record<string, unknown>) => {
      const { crm, adapter } = setup(generic ? { generic } : {});
      crm.contacts.push({ id: 7, name: 'Ivan Petrov', phone: '84951234567' });
      expect((await adapter.logCalls([call()]))[0]?.status).toBe('logged');
      const calls = [];
      for await (const page of adapter.listLoggedCalls({ from: new Date(0), to: new Date('2030-01-01T00:00:00Z') })) calls.push(...page.calls);
      return calls;
    };
    expect((await listed()).map((c) => c.link)).toEqual(['https://calltrail.example/recordings/a.mp3']);
    const { link: _, ...listWithoutLink } = fakeCrmConfig(BASE).list_calls as Record<string, unknown>;
    expect((await listed({ list_calls: listWithoutLink })).map((c) => c.link)).toEqual([undefined]);
  });

  it('refuses to look calls up when the CRM keeps no uniq (no guess, no duplicate)', async () => {
    const generic = fakeCrmConfig(BASE);
    const { uniq: _, ...listWithoutUniq } = generic.list_calls;
    const { adapter } = setup({ generic: { list_calls: listWithoutUniq } });
    const error = await failure(
      (async () => {
        for await (const _page of adapter.listLoggedCalls({ from: new Date(0), to: new Date() })) void _page;
      })(),
    );
    expect(error.failure.kind).toBe('rejected');
    expect(error.message).toMatch(/list_calls with a uniq selector is not configured/);
  });
});
