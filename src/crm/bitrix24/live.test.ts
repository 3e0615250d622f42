/**
 * The live half of the Bitrix24 adapter against the msw portal (test/support/vendors/bitrix24.ts,
 * plus telephony.externalcall.show / hide as documented): the call card while it rings, taking it
 * down, the caller lookup, deadlines, and the delivery finishing the popped CALL_ID instead of
 * registering the call a second time.
 */
import { delay, http, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { describe, expect, it } from 'vitest';
import { BITRIX24_PORTAL, BITRIX24_WEBHOOK, bitrix24Fake } from '#test/vendors/bitrix24';
import { callToLog } from '../amocrm/testing';
import { type AcquireOptions, LateForBudget, RateLimiter } from '../limiter';
import { CrmError, type CallToLog, type ScreenPop } from '../port';
import { createBitrix24Adapter } from './adapter';
import { bitrix24ConfigSchema } from './config';

const server = strictMswServer();

/** A portal (real clock: deadlines are epoch ms) and an adapter whose limiter records each slot asked for. */
function setup(section: Record<string, unknown> = {}, rps = 1000) {
  const fake = bitrix24Fake();
  const shown: { method: string; params: Record<string, unknown> }[] = [];
  // show and hide: documented, not in the shared fake; they answer true.
  const cardMethods = http.post(`${BITRIX24_PORTAL}/rest/1/k3yw3bh00kc0de/:method`, async ({ params, request }) => {
    const method = String(params.method)
      .replace(/\.json$/, '')
      .toLowerCase();
    if (method !== 'telephony.externalcall.show' && method !== 'telephony.externalcall.hide') return undefined;
    const body = (await request.json()) as Record<string, unknown>;
    shown.push({ method, params: body });
    if (!fake.active.has(String(body.CALL_ID))) return HttpResponse.json({ error: 'ERROR_CORE', error_description: 'Call is not found' }, { status: 400 });
    return HttpResponse.json({ result: true });
  });
  server.use(cardMethods, fake.handler);
  const limiter = new RateLimiter({ rps });
  const slots: AcquireOptions[] = [];
  const acquire = limiter.acquire.bind(limiter);
  limiter.acquire = (o: AcquireOptions = {}) => {
    slots.push(o);
    return acquire(o);
  };
  const config = bitrix24ConfigSchema.parse({ webhook_url: BITRIX24_WEBHOOK, default_user_id: 1, ...section });
  const adapter = createBitrix24Adapter({ config, env: () => undefined, fetch, limiter });
  return { fake, adapter, limiter, slots, shown };
}

const live = (ms = 5000) => ({ deadline: Date.now() + ms });
const startedAt = new Date('2026-11-20T07:00:00Z');

function pop(over: Partial<ScreenPop> = {}): ScreenPop {
  return {
    uniq: 'ct1-0001',
    direction: 'inbound',
    phone: '+74951230001',
    users: [1],
    extensions: { '1': '100' },
    line: '+74950000000',
    startedAt,
    caller: null,
    ...over,
  };
}

const call = (over: Partial<CallToLog> = {}) => callToLog(1, { phone: '+74951230001', userId: 1, ...over });

describe('popUp and popDown', () => {
  it('registers the ringing call with SHOW=1 and CRM_CREATE=0, shows it to the other users, answers its CALL_ID', async () => {
    const { fake, adapter, slots, shown } = setup();
    fake.addEntity('CONTACT', 'Ivan', '8 495 123-00-01');
    const deadline = Date.now() + 5000;
    const { ref } = await adapter.popUp(pop({ users: [1, 7] }), { deadline });
    expect(fake.requests.map((r) => r.method.toLowerCase())).toEqual(['telephony.externalcall.register']);
    expect(fake.requests[0]?.params).toEqual({
      USER_ID: 1,
      PHONE_NUMBER: '+74951230001',
      TYPE: 2,
      CALL_START_DATE: '2026-11-20T07:00:00+00:00',
      CRM_CREATE: 0,
      SHOW: 1,
      LINE_NUMBER: '+74950000000',
      EXTERNAL_CALL_ID: 'ct1-0001',
    });
    expect(ref).toBe([...fake.active.keys()][0]);
    expect(shown).toEqual([{ method: 'telephony.externalcall.show', params: { CALL_ID: ref, USER_ID: [7] } }]);
    expect(slots).toEqual([
      { priority: 'live', deadline },
      { priority: 'live', deadline },
    ]);
  });

  it('a user known by extension only is USER_PHONE_INNER; outbound is TYPE 1; no line: none sent', async () => {
    const { fake, adapter } = setup();
    await adapter.popUp(pop({ users: ['anna'], extensions: { anna: '205' }, direction: 'outbound', line: null }), live());
    expect(fake.requests[0]?.params).toMatchObject({ USER_PHONE_INNER: '205', TYPE: 1 });
    expect(fake.requests[0]?.params).not.toHaveProperty('USER_ID');
    expect(fake.requests[0]?.params).not.toHaveProperty('LINE_NUMBER');
  });

  it('popDown hides the card from each user in turn', async () => {
    const { adapter, shown, slots } = setup();
    const { ref } = await adapter.popUp(pop({ users: [1] }), live());
    const deadline = Date.now() + 3000;
    await adapter.popDown({ ...pop(), ref: ref as string }, [1, 7], { deadline });
    expect(shown).toEqual([
      { method: 'telephony.externalcall.hide', params: { CALL_ID: ref, USER_ID: 1 } },
      { method: 'telephony.externalcall.hide', params: { CALL_ID: ref, USER_ID: 7 } },
    ]);
    expect(slots.slice(1)).toEqual([
      { priority: 'live', deadline },
      { priority: 'live', deadline },
    ]);
  });

  it('no slot before the deadline: LateForBudget, nothing sent', async () => {
    const { fake, adapter, limiter } = setup({}, 2);
    limiter.penalize(10_000);
    await expect(adapter.popUp(pop(), live(1000))).rejects.toBeInstanceOf(LateForBudget);
    await expect(adapter.popDown({ ...pop(), ref: 'x' }, [1], live(1000))).rejects.toBeInstanceOf(LateForBudget);
    await expect(adapter.findCaller('+74951230001', live(1000))).rejects.toBeInstanceOf(LateForBudget);
    expect(fake.requests).toEqual([]);
  });
});

describe('findCaller: telephony.externalCall.searchCrmEntities', () => {
  it('the contact, the company and a lead with the number, the responsible user, the card URL', async () => {
    const { fake, adapter } = setup();
    const contact = fake.addEntity('CONTACT', 'Ivan Petrov', '8 (495) 123-00-01');
    const company = fake.addEntity('COMPANY', 'ООО Вектор', '+7 495 123-00-01');
    const lead = fake.addEntity('LEAD', 'Lead 1', '74951230001');
    expect(await adapter.findCaller('+74951230001', live())).toEqual({
      contact: { id: contact.id, name: 'Ivan Petrov' },
      company: { id: company.id, name: 'ООО Вектор' },
      responsibleUserId: 1,
      deal: { id: lead.id, name: 'Lead 1', statusId: null },
      url: `${BITRIX24_PORTAL}/crm/contact/details/${contact.id}/`,
    });
    expect(fake.requests.map((r) => r.params)).toEqual([{ PHONE_NUMBER: '+74951230001' }]);
  });

  it('a company only: its card; nobody: null', async () => {
    const { fake, adapter } = setup();
    const company = fake.addEntity('COMPANY', 'ООО Вектор', '+7 495 700-00-00');
    expect(await adapter.findCaller('+74957000000', live())).toMatchObject({
      contact: null,
      company: { id: company.id },
      url: `${BITRIX24_PORTAL}/crm/company/details/${company.id}/`,
    });
    expect(await adapter.findCaller('+74951112233', live())).toBeNull();
  });

  it('a slow portal is cut off at the deadline', async () => {
    const { adapter } = setup();
    server.use(
      http.post(`${BITRIX24_PORTAL}/rest/1/k3yw3bh00kc0de/telephony.externalCall.searchCrmEntities.json`, async () => {
        await delay(5000);
        return HttpResponse.json({ result: [] });
      }),
    );
    const started = Date.now();
    const error = await adapter.findCaller('+74951230001', live(300)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrmError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('delivery of a popped call (CallToLog.liveRef)', () => {
  const methods = (fake: ReturnType<typeof bitrix24Fake>) => fake.calls().filter((m) => !m.startsWith('telephony.externalcall.show'));

  it('finishes the CALL_ID the pop registered and attaches the recording: no second register', async () => {
    const { fake, adapter } = setup();
    const contact = fake.addEntity('CONTACT', 'Ivan', '8 495 123-00-01');
    const { ref } = await adapter.popUp(pop(), live());
    fake.requests.length = 0;
    const [result] = await adapter.logCalls([call({ liveRef: ref as string })]);
    expect(methods(fake)).toEqual([
      'voximplant.statistic.get',
      'telephony.externalcall.searchcrmentities',
      'telephony.externalcall.finish',
      'telephony.externalcall.attachrecord',
    ]);
    expect(fake.requests[2]?.params).toMatchObject({ CALL_ID: ref, USER_ID: 1, DURATION: 185, STATUS_CODE: '200' });
    expect(fake.stats).toHaveLength(1);
    expect(fake.stats[0]).toMatchObject({ CALL_ID: ref, EXTERNAL_CALL_ID: 'ct1-0001', CRM_ENTITY_TYPE: 'CONTACT' });
    expect(result).toEqual({ status: 'logged', ref: { noteId: ref, entityId: contact.id, entityType: 'contacts' } });
  });

  it('after a lost finish answer the next attempt finds the call in the statistics and only attaches', async () => {
    const { fake, adapter } = setup();
    fake.addEntity('CONTACT', 'Ivan', '8 495 123-00-01');
    const { ref } = await adapter.popUp(pop(), live());
    fake.dropAnswer('telephony.externalCall.finish');
    fake.fail('telephony.externalCall.attachRecord', 500, { error: 'INTERNAL_SERVER_ERROR', error_description: 'x' }, 5);
    const [first] = await adapter.logCalls([call({ liveRef: ref as string })]);
    expect(first?.status).toBe('failed');
    fake.fail('telephony.externalCall.attachRecord', 500, {}, 0);
    fake.requests.length = 0;
    const [second] = await adapter.logCalls([call({ liveRef: ref as string })]);
    expect(second?.status).toBe('logged');
    expect(methods(fake)).toEqual(['voximplant.statistic.get', 'telephony.externalcall.attachrecord']);
    expect(fake.stats).toHaveLength(1);
  });

  it('a popped CALL_ID Bitrix24 no longer knows (and not in the statistics): the call is registered anew', async () => {
    const { fake, adapter } = setup();
    fake.addEntity('CONTACT', 'Ivan', '8 495 123-00-01');
    const [result] = await adapter.logCalls([call({ liveRef: 'externalCall.gone' })]);
    expect(result?.status).toBe('logged');
    expect(methods(fake)).toEqual([
      'voximplant.statistic.get',
      'telephony.externalcall.searchcrmentities',
      'telephony.externalcall.finish',
      'voximplant.statistic.get',
      'telephony.externalcall.register',
      'telephony.externalcall.finish',
      'telephony.externalcall.attachrecord',
    ]);
    expect(fake.stats).toHaveLength(1);
  });

  it('a number nobody had when it rang: its own registration (Bitrix24 makes the lead); the popped call stays unfinished', async () => {
    const { fake, adapter } = setup();
    const { ref } = await adapter.popUp(pop(), live());
    const [result] = await adapter.logCalls([call({ liveRef: ref as string })]);
    expect(result).toMatchObject({ status: 'logged', ref: { entityType: 'leads' } });
    expect(fake.stats).toHaveLength(1);
    expect(fake.stats[0]?.CALL_ID).not.toBe(ref);
    expect(fake.active.has(ref as string)).toBe(true);
  });

  it('a contact calltrail created for the call after it rang: its own registration bound to that contact', async () => {
    const { fake, adapter } = setup({ crm_create: false });
    const { ref } = await adapter.popUp(pop(), live());
    expect(await adapter.logCalls([call({ liveRef: ref as string })])).toEqual([{ status: 'unknown_number' }]);
    const [contact] = await adapter.createContacts([{ requestId: 'd-1', name: 'New', phone: '+74951230001', userId: 1 }]);
    const [result] = await adapter.logCalls([call({ liveRef: ref as string, contactId: contact?.id as number })]);
    expect(result).toMatchObject({ status: 'logged', ref: { entityType: 'contacts', entityId: contact?.id } });
    expect(fake.stats[0]?.CALL_ID).not.toBe(ref);
  });
});
