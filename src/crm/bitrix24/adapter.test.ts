/**
 * Contract tests of the Bitrix24 adapter against an msw fake of the portal written from the
 * REST documentation (test/support/vendors/bitrix24.ts): the three-step flow and its bodies,
 * exactly once after lost answers at each step, error mapping, and the statistics listing.
 */
import { strictMswServer } from '#test/msw';
import { describe, expect, it } from 'vitest';
import { BITRIX24_WEBHOOK, bitrix24Fake, type Bitrix24Fake } from '#test/vendors/bitrix24';
import { callToLog } from '../amocrm/testing';
import { RateLimiter } from '../limiter';
import { CrmError, type CallToLog, type LoggedCallsPage, type LogResult } from '../port';
import { createBitrix24Adapter } from './adapter';
import { bitrix24ConfigSchema, resolveWebhookUrl } from './config';

const server = strictMswServer();

/** A portal and an adapter sharing one virtual clock: the limiter's waits move it. */
function setup(section: Record<string, unknown> = {}, fakeOptions: Parameters<typeof bitrix24Fake>[0] = {}) {
  let t = Date.parse('2026-11-20T08:00:00Z');
  const sleeps: number[] = [];
  const clock = {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
  const fake = bitrix24Fake({ now: clock.now, ...fakeOptions });
  server.use(fake.handler);
  const limiter = new RateLimiter({ rps: 2, now: clock.now, sleep: clock.sleep });
  const config = bitrix24ConfigSchema.parse({ webhook_url: { env: 'BITRIX24_WEBHOOK_URL' }, default_user_id: 1, ...section });
  const adapter = createBitrix24Adapter({ config, env: (name) => (name === 'BITRIX24_WEBHOOK_URL' ? BITRIX24_WEBHOOK : undefined), fetch, limiter, clock });
  return { fake, adapter, limiter, sleeps, advance: (ms: number) => void (t += ms) };
}

const call = (n: number, over: Partial<CallToLog> = {}) => callToLog(n, { phone: `+7495123${String(n).padStart(4, '0')}`, userId: null, ...over });
const logged = (r: LogResult | undefined) => (r?.status === 'logged' ? r.ref : null);

function withContact(fake: Bitrix24Fake, n: number) {
  return fake.addEntity('CONTACT', `Client ${n}`, `8 (495) 123-${String(n).padStart(4, '0').slice(0, 2)}-${String(n).padStart(4, '0').slice(2)}`);
}

describe('logCalls: register → finish → attachRecord', () => {
  it('looks the batch up, then registers, finishes and attaches, with the documented parameters', async () => {
    const { fake, adapter } = setup();
    const contact = withContact(fake, 1);
    const [result] = await adapter.logCalls([call(1, { extension: '205' })]);
    expect(fake.calls()).toEqual([
      'voximplant.statistic.get',
      'telephony.externalcall.register',
      'telephony.externalcall.finish',
      'telephony.externalcall.attachrecord',
    ]);
    const [lookup, register, finish, attach] = fake.requests;
    expect(lookup?.params).toEqual({ FILTER: { EXTERNAL_CALL_ID: ['ct1-0001'] }, SORT: 'ID', ORDER: 'ASC', start: 0 });
    expect(register?.params).toEqual({
      USER_PHONE_INNER: '205',
      PHONE_NUMBER: '+74951230001',
      TYPE: 2,
      CALL_START_DATE: '2026-11-20T07:00:00+00:00',
      CRM_CREATE: 1,
      SHOW: 0,
      ADD_TO_CHAT: 0,
      EXTERNAL_CALL_ID: 'ct1-0001',
    });
    const callId = fake.stats[0]?.CALL_ID;
    expect(finish?.params).toEqual({ CALL_ID: callId, USER_PHONE_INNER: '205', DURATION: 185, STATUS_CODE: '200', ADD_TO_CHAT: 0 });
    expect(attach?.params).toEqual({ CALL_ID: callId, RECORD_URL: 'https://pbx.example/r/0001.mp3', FILENAME: 'ct1-0001.mp3' });
    expect(result).toEqual({ status: 'logged', ref: { noteId: callId, entityId: contact.id, entityType: 'contacts' } });
    expect(fake.stats).toHaveLength(1);
    expect(fake.stats[0]).toMatchObject({ EXTERNAL_CALL_ID: 'ct1-0001', CALL_RECORD_URL: 'https://pbx.example/r/0001.mp3', CRM_ENTITY_TYPE: 'CONTACT' });
  });

  it('an outbound missed call: TYPE 1, STATUS_CODE 304 with the reason, the mapped user, no recording', async () => {
    const { fake, adapter } = setup();
    withContact(fake, 2);
    await adapter.logCalls([call(2, { direction: 'outbound', outcome: 'missed', durationSeconds: 0, link: null, userId: 7, resultText: 'No answer' })]);
    expect(fake.calls()).toEqual(['voximplant.statistic.get', 'telephony.externalcall.register', 'telephony.externalcall.finish']);
    expect(fake.requests[1]?.params).toMatchObject({ USER_ID: 7, TYPE: 1 });
    expect(fake.requests[2]?.params).toMatchObject({ USER_ID: 7, DURATION: 0, STATUS_CODE: '304', FAILED_REASON: 'No answer' });
  });

  it('busy and failed calls map to 486 and 603', async () => {
    const { fake, adapter } = setup();
    await adapter.logCalls([call(3, { outcome: 'busy', durationSeconds: 0, link: null }), call(4, { outcome: 'failed', durationSeconds: 0, link: null })]);
    const finishes = fake.requests.filter((r) => r.method.toLowerCase() === 'telephony.externalcall.finish').map((r) => r.params.STATUS_CODE);
    expect(finishes).toEqual(['486', '603']);
  });

  it('an extension that is nobody’s internal number is registered by the default user', async () => {
    const { fake, adapter } = setup({ default_user_id: 1 });
    const [result] = await adapter.logCalls([call(5, { extension: '999' })]);
    expect(result?.status).toBe('logged');
    const registers = fake.requests.filter((r) => r.method.toLowerCase() === 'telephony.externalcall.register');
    expect(registers.map((r) => r.params.USER_PHONE_INNER ?? r.params.USER_ID)).toEqual(['999', 1]);
    expect(fake.requests.at(-2)?.params).toMatchObject({ USER_ID: 1 });
  });

  it('an unknown number with crm_create: Bitrix24 creates a lead and the call lands on it', async () => {
    const { fake, adapter } = setup();
    const [result] = await adapter.logCalls([call(6)]);
    expect(fake.entities).toEqual([expect.objectContaining({ type: 'LEAD' })]);
    expect(logged(result)).toMatchObject({ entityType: 'leads', entityId: fake.entities[0]?.id });
  });

  it('an unknown number without crm_create is unknown_number and nothing is registered; after createContacts it logs on the contact', async () => {
    const { fake, adapter } = setup({ crm_create: false });
    const first = call(7);
    expect(await adapter.logCalls([first])).toEqual([{ status: 'unknown_number' }]);
    expect(fake.calls()).toEqual(['voximplant.statistic.get', 'telephony.externalcall.searchcrmentities']);
    expect(fake.stats).toHaveLength(0);
    const [contact] = await adapter.createContacts([{ requestId: 'd-7', name: 'Caller 0007', phone: first.phone, userId: 7 }]);
    expect(fake.requests.at(-1)?.params).toEqual({
      fields: { NAME: 'Caller 0007', PHONE: [{ VALUE: '+74951230007', VALUE_TYPE: 'WORK' }], ASSIGNED_BY_ID: 7 },
    });
    const [result] = await adapter.logCalls([first]);
    expect(logged(result)).toMatchObject({ entityType: 'contacts', entityId: contact?.id });
    expect(fake.requests.find((r) => r.method.toLowerCase() === 'telephony.externalcall.register')?.params).toMatchObject({
      CRM_CREATE: 0,
      CRM_ENTITY_TYPE: 'CONTACT',
      CRM_ENTITY_ID: contact?.id,
    });
  });
});

describe('exactly once across the three steps', () => {
  it('a lost register answer: the resend gets the same CALL_ID back, one call in the statistics', async () => {
    const { fake, adapter } = setup();
    withContact(fake, 11);
    fake.dropAnswer('telephony.externalCall.register');
    const [first] = await adapter.logCalls([call(11)]);
    expect(first?.status).toBe('failed');
    expect(first?.status === 'failed' && first.error.outcomeUnknown).toBe(true);
    expect(fake.active.size).toBe(1);
    const [second] = await adapter.logCalls([call(11)]);
    expect(second?.status).toBe('logged');
    expect(fake.stats).toHaveLength(1);
    expect(fake.active.size).toBe(0);
  });

  it('a lost finish answer: the next attempt finds the call by EXTERNAL_CALL_ID and registers nothing', async () => {
    const { fake, adapter } = setup();
    withContact(fake, 12);
    fake.dropAnswer('telephony.externalCall.finish');
    const [first] = await adapter.logCalls([call(12)]);
    expect(first?.status === 'failed' && first.error.outcomeUnknown).toBe(true);
    const before = fake.requests.length;
    const [second] = await adapter.logCalls([call(12)]);
    expect(fake.calls().slice(before)).toEqual(['voximplant.statistic.get', 'telephony.externalcall.attachrecord']);
    expect(logged(second)?.noteId).toBe(fake.stats[0]?.CALL_ID);
    expect(fake.stats).toHaveLength(1);
  });

  it('a finish that failed (500): outcome unknown, and the retry finishes the same registration', async () => {
    const { fake, adapter } = setup();
    withContact(fake, 13);
    fake.fail('telephony.externalCall.finish', 500, { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' });
    const [first] = await adapter.logCalls([call(13, { link: null })]);
    expect(first?.status).toBe('failed');
    expect(first?.status === 'failed' && first.error.failure).toMatchObject({ kind: 'unavailable', sent: true });
    expect(first?.status === 'failed' && first.error.message).toMatch(/registered as externalCall\./);
    const registered = [...fake.active.keys()];
    await adapter.logCalls([call(13, { link: null })]);
    expect(fake.stats.map((r) => r.CALL_ID)).toEqual(registered);
    expect(fake.active.size).toBe(0);
  });

  it('an attachRecord that failed: the retry only attaches', async () => {
    const { fake, adapter } = setup();
    withContact(fake, 14);
    fake.fail('telephony.externalCall.attachRecord', 502, { error: 'ERROR_UNEXPECTED_ANSWER', error_description: 'Server returned an unexpected response' });
    const [first] = await adapter.logCalls([call(14)]);
    expect(first?.status === 'failed' && first.error.outcomeUnknown).toBe(true);
    const before = fake.requests.length;
    const [second] = await adapter.logCalls([call(14)]);
    expect(second?.status).toBe('logged');
    expect(fake.calls().slice(before)).toEqual(['voximplant.statistic.get', 'telephony.externalcall.attachrecord']);
    expect(fake.stats[0]?.CALL_RECORD_URL).toBe('https://pbx.example/r/0014.mp3');
  });

  it('a call logged whole is not touched again: look-up only', async () => {
    const { fake, adapter } = setup();
    await adapter.logCalls([call(15)]);
    const before = fake.requests.length;
    const [again] = await adapter.logCalls([call(15)]);
    expect(fake.calls().slice(before)).toEqual(['voximplant.statistic.get']);
    expect(again?.status).toBe('logged');
    expect(fake.stats).toHaveLength(1);
  });

  it('a late recording: updateLoggedCalls attaches it to the logged call', async () => {
    const { fake, adapter } = setup();
    const [result] = await adapter.logCalls([call(16, { link: null })]);
    const ref = logged(result);
    if (!ref) throw new Error('not logged');
    await adapter.updateLoggedCalls([{ ref, call: call(16, { link: 'https://calltrail.example/recordings/abc.mp3?e=1&s=x' }) }]);
    expect(fake.requests.at(-1)?.params).toEqual({
      CALL_ID: ref.noteId,
      RECORD_URL: 'https://calltrail.example/recordings/abc.mp3?e=1&s=x',
      FILENAME: 'ct1-0016.mp3',
    });
    expect(fake.stats[0]?.CALL_RECORD_URL).toBe('https://calltrail.example/recordings/abc.mp3?e=1&s=x');
  });

  it('after a failed call the rest of the batch is not sent, and says so', async () => {
    const { fake, adapter } = setup();
    fake.fail('telephony.externalCall.register', 500, { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' });
    const results = await adapter.logCalls([call(17), call(18)]);
    expect(results.map((r) => r.status === 'failed' && r.error.failure)).toEqual([
      expect.objectContaining({ kind: 'unavailable', sent: true }),
      expect.objectContaining({ kind: 'unavailable', sent: false }),
    ]);
    expect(fake.calls().filter((m) => m.endsWith('register'))).toHaveLength(1);
  });

  it('a recording Bitrix24 refuses for good: rejected with the reason, the call itself stays logged', async () => {
    const { fake, adapter } = setup();
    const [result] = await adapter.logCalls([call(19, { link: 'http://192.168.1.5/rec/19.wav' })]);
    expect(result).toEqual({ status: 'rejected', reason: expect.stringMatching(/^logged as call externalCall\..*non-public address/) });
    expect(fake.stats).toHaveLength(1);
  });
});

describe('unknown-caller leads', () => {
  it('registers with CRM_CREATE=1 and answers the lead; a second time it is a duplicate', async () => {
    const { fake, adapter } = setup({ crm_create: false });
    const [created] = await adapter.createUnknownCallerLeads([call(21)]);
    expect(created).toEqual({ status: 'created', uid: fake.stats[0]?.CALL_ID, leadId: fake.entities[0]?.id, contactId: null });
    expect(await adapter.createUnknownCallerLeads([call(21)])).toEqual([{ status: 'duplicate' }]);
    expect(fake.entities).toHaveLength(1);
  });
});

describe('errors', () => {
  it('QUERY_LIMIT_EXCEEDED (503): the limiter pauses and the request goes through', async () => {
    const { fake, adapter, limiter } = setup();
    fake.fail('voximplant.statistic.get', 503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }, 2);
    const [result] = await adapter.logCalls([call(31, { link: null })]);
    expect(result?.status).toBe('logged');
    expect(limiter.currentRps).toBeLessThan(2);
    expect(fake.calls().filter((m) => m === 'voximplant.statistic.get')).toHaveLength(3);
  });

  it('the real leaky bucket: 50 in reserve, then 503, and a paced adapter never trips it', async () => {
    const { fake, adapter } = setup();
    fake.exhaust();
    const results = await adapter.logCalls([call(32), call(33), call(34)]);
    expect(results.map((r) => r.status)).toEqual(['logged', 'logged', 'logged']);
    expect(fake.stats).toHaveLength(3);
  });

  it('QUERY_LIMIT_EXCEEDED that does not stop: rate_limited, nothing written', async () => {
    const { fake, adapter } = setup();
    fake.fail('voximplant.statistic.get', 503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }, 10);
    const [result] = await adapter.logCalls([call(35)]);
    expect(result?.status === 'failed' && result.error.failure.kind).toBe('rate_limited');
    expect(fake.stats).toHaveLength(0);
  });

  it.each([
    ['a wrong webhook code', 401, { error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' }, 'unauthorized'],
    ['an expired token', 401, { error: 'expired_token', error_description: 'The access token provided has expired' }, 'unauthorized'],
    [
      'a webhook without the telephony scope',
      401,
      { error: 'insufficient_scope', error_description: 'The request requires higher privileges' },
      'unauthorized',
    ],
    [
      'register outside an application',
      400,
      { error: 'WRONG_AUTH_TYPE', error_description: 'Current authorization type is denied for this method' },
      'unauthorized',
    ],
    ['ACCESS_DENIED', 403, { error: 'ACCESS_DENIED', error_description: 'Access denied!' }, 'blocked'],
    ['a bare 403 page', 403, { error: '', error_description: '' }, 'blocked'],
    ['REST overload block', 401, { error: 'OVERLOAD_LIMIT', error_description: 'REST API is blocked due to overload' }, 'blocked'],
    ['OPERATION_TIME_LIMIT', 429, { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit' }, 'rate_limited'],
  ])('%s (HTTP %i) → %s', async (_what, status, body, kind) => {
    const { fake, adapter } = setup();
    fake.fail('telephony.externalCall.register', status, body, 10);
    const [result] = await adapter.logCalls([call(36)]);
    expect(result?.status === 'failed' && result.error.failure.kind).toBe(kind);
  });

  it('an error body with HTTP 200 is an error: a method refusal is rejected', async () => {
    const { fake, adapter } = setup();
    fake.fail('telephony.externalCall.register', 200, { error: 'ERROR_CORE', error_description: 'Unsupported phone number format' });
    expect(await adapter.logCalls([call(37)])).toEqual([{ status: 'rejected', reason: 'ERROR_CORE: Unsupported phone number format' }]);
  });

  it('a 500 on register: unavailable, sent, outcome unknown; not resent by the transport', async () => {
    const { fake, adapter } = setup();
    fake.fail('telephony.externalCall.register', 500, { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' });
    const [result] = await adapter.logCalls([call(38)]);
    expect(result?.status === 'failed' && result.error.failure).toMatchObject({ kind: 'unavailable', sent: true, status: 500 });
    expect(fake.calls().filter((m) => m.endsWith('register'))).toHaveLength(1);
  });

  it('an HTML 502 from a proxy on a read: retried, then unavailable', async () => {
    const { fake, adapter } = setup();
    fake.fail('voximplant.statistic.get', 502, '<html>bad gateway</html>', 5);
    const error = await collect(adapter.listLoggedCalls(window)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrmError);
    expect((error as CrmError).failure.kind).toBe('unavailable');
    expect(fake.calls()).toHaveLength(3);
  });

  it('a webhook with the wrong code is refused by the portal: unauthorized', async () => {
    setup();
    const response = await fetch(`${BITRIX24_WEBHOOK.replace('k3yw3bh00kc0de', 'wrong')}voximplant.statistic.get.json`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' });
  });
});

const window = { from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-21T00:00:00Z') };

async function collect(pages: AsyncIterable<LoggedCallsPage>): Promise<LoggedCallsPage[]> {
  const out: LoggedCallsPage[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

describe('listLoggedCalls', () => {
  it('pages through the statistics 50 at a time with positions, ours only, within the window', async () => {
    const { fake, adapter } = setup();
    const calls = Array.from({ length: 110 }, (_, i) => call(100 + i, { link: null, startedAt: new Date(Date.parse('2026-11-20T07:00:00Z') + i * 60_000) }));
    for (const c of calls) await adapter.logCalls([c]);
    await adapter.logCalls([call(300, { link: null, startedAt: new Date('2026-11-19T12:00:00Z') })]);
    // A call another integration registered: no EXTERNAL_CALL_ID.
    fake.stats.push({ ...(fake.stats[0] as NonNullable<(typeof fake.stats)[0]>), ID: '999', CALL_ID: 'x', EXTERNAL_CALL_ID: null });
    const before = fake.requests.length;
    const pages = await collect(adapter.listLoggedCalls(window));
    expect(pages.map((p) => [p.position, p.next, p.calls.length])).toEqual([
      [{ entityType: 'calls', page: 1 }, { entityType: 'calls', page: 2 }, 50],
      [{ entityType: 'calls', page: 2 }, { entityType: 'calls', page: 3 }, 50],
      [{ entityType: 'calls', page: 3 }, null, 10],
    ]);
    expect(fake.requests.slice(before).map((r) => r.params)).toEqual(
      [0, 50, 100].map((start) => ({
        FILTER: { '>=CALL_START_DATE': '2026-11-20T00:00:00+00:00', '<=CALL_START_DATE': '2026-11-21T00:00:00+00:00' },
        SORT: 'ID',
        ORDER: 'ASC',
        start,
      })),
    );
    const first = pages[0]?.calls[0];
    expect(first).toEqual({
      noteId: fake.stats[0]?.CALL_ID,
      entityId: expect.any(Number),
      entityType: 'leads',
      uniq: 'ct1-0100',
      link: null,
      durationSeconds: 185,
      phone: '+74951230100',
      updatedAt: new Date('2026-11-20T07:00:00Z'),
    });
    expect(new Set(pages.flatMap((p) => p.calls.map((c) => c.uniq))).size).toBe(110);
  });

  it('resumes from a position', async () => {
    const { fake, adapter } = setup();
    for (let i = 0; i < 60; i++) await adapter.logCalls([call(400 + i, { link: null })]);
    const before = fake.requests.length;
    const pages = await collect(adapter.listLoggedCalls(window, { entityType: 'calls', page: 2 }));
    expect(fake.requests.slice(before).map((r) => r.params.start)).toEqual([50]);
    expect(pages.map((p) => p.calls.length)).toEqual([10]);
  });

  it('reports a recording as a link', async () => {
    const { adapter } = setup();
    await adapter.logCalls([call(500)]);
    const [page] = await collect(adapter.listLoggedCalls(window));
    expect(page?.calls[0]?.link).toBe('https://pbx.example/r/0500.mp3');
  });
});

describe('findContacts and config', () => {
  it('findContacts answers contacts before companies, and never leads', async () => {
    const { fake, adapter } = setup();
    const company = fake.addEntity('COMPANY', 'ООО Ромашка', '+7 812 600-00-01');
    fake.addEntity('LEAD', 'A lead', '+78126000001');
    const contact = fake.addEntity('CONTACT', 'Ivan', '8 812 600 00 01');
    expect(await adapter.findContacts('+78126000001')).toEqual([
      { id: contact.id, name: 'Ivan', phones: ['+78126000001'] },
      { id: company.id, name: 'ООО Ромашка', phones: ['+78126000001'] },
    ]);
  });

  it('the webhook URL comes from the named variable, checked', () => {
    const config = bitrix24ConfigSchema.parse({ webhook_url: { env: 'B24' }, default_user_id: 1 });
    expect(resolveWebhookUrl(config, () => 'https://x.bitrix24.ru/rest/12/abc123')).toBe('https://x.bitrix24.ru/rest/12/abc123/');
    expect(() => resolveWebhookUrl(config, () => undefined)).toThrow(/B24 is not set/);
    expect(() => resolveWebhookUrl(config, () => 'http://x.bitrix24.ru/rest/12/abc')).toThrow(/webhook URL/);
    expect(bitrix24ConfigSchema.safeParse({ webhook_url: 'https://x.bitrix24.ru/rest/app/', default_user_id: 1 }).success).toBe(false);
    expect(config).toMatchObject({ rps: 2, crm_create: true, extension_as_inner_phone: true, batch_size: 10 });
  });

  it('call-back tasks are refused in words, not dropped', async () => {
    const { adapter } = setup();
    await expect(
      adapter.addTasks([{ requestId: 't', text: 'x', dueAt: new Date(), entity: { entityId: 1, entityType: 'contacts' }, userId: null }]),
    ).rejects.toThrow(/not supported/);
  });
});
