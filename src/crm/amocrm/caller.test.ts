/**
 * The live half of the amoCRM adapter: the incoming-call pop-up (POST /api/v2/events) and the
 * caller lookup, against msw fakes written from amoCRM's documented answers and against the sandbox
 * amoCRM in-process. Every request must be a live one (priority live, the caller's deadline).
 */
import { delay, http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { describe, expect, it } from 'vitest';
import { TEST_TOKEN, testSandbox } from '../../sandbox/testing';
import { type AcquireOptions, LateForBudget, RateLimiter } from '../limiter';
import { CrmError, type ScreenPop } from '../port';
import { AmoCrmAdapter } from './adapter';
import { AmoApi } from './api';
import { ADAPTER_OPTIONS, BASE_URL, countingTokens } from './testing';

const server = strictMswServer();
const url = (path: string) => `${BASE_URL}${path}`;

/** An adapter on a real-time limiter that records how each request asked for its slot. */
function setup(options: { rps?: number; fetch?: typeof fetch; baseUrl?: string; timeoutMs?: number } = {}) {
  const limiter = new RateLimiter({ rps: options.rps ?? 1000 });
  const slots: AcquireOptions[] = [];
  const acquire = limiter.acquire.bind(limiter);
  limiter.acquire = (o: AcquireOptions = {}) => {
    slots.push(o);
    return acquire(o);
  };
  const tokens = options.fetch ? { token: async () => TEST_TOKEN, renew: async () => false } : countingTokens();
  const api = new AmoApi({
    baseUrl: options.baseUrl ?? BASE_URL,
    limiter,
    tokens,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  return { adapter: new AmoCrmAdapter(api, ADAPTER_OPTIONS), limiter, slots };
}

const live = (ms = 5000) => ({ deadline: Date.now() + ms });

function pop(over: Partial<ScreenPop> = {}): ScreenPop {
  return {
    uniq: 'ct1-live',
    direction: 'inbound',
    phone: '+74951234567',
    users: [1001, 1002],
    extensions: { '1001': '101', '1002': '102' },
    line: '+74950000000',
    startedAt: new Date(),
    caller: null,
    ...over,
  };
}

/** Records each request (method, path with query, body) and answers by path. */
function fake(routes: Record<string, (u: URL) => Response>) {
  const seen: { method: string; path: string; body: unknown; auth: string | null }[] = [];
  server.use(
    rest.all(`${BASE_URL}/api/*`, async ({ request }) => {
      const u = new URL(request.url);
      const text = await request.text();
      seen.push({
        method: request.method,
        path: `${u.pathname}${u.search}`,
        body: text ? JSON.parse(text) : undefined,
        auth: request.headers.get('authorization'),
      });
      const answer = routes[`${request.method} ${u.pathname}`];
      if (!answer) throw new Error(`unexpected ${request.method} ${u.pathname}`);
      return answer(u);
    }),
  );
  return seen;
}

const phoneField = (...values: string[]) => [{ field_id: 1, field_code: 'PHONE', values: values.map((value) => ({ value, enum_code: 'WORK' })) }];
const empty = () => new HttpResponse(null, { status: 204 });

describe('popUp: POST /api/v2/events', () => {
  it('sends the documented phone_call event for the users, as a live request', async () => {
    const seen = fake({ 'POST /api/v2/events': () => HttpResponse.json({ _embedded: { items: [{ uid: 'x', phone_number: '+74951234567' }] } }) });
    const { adapter, slots } = setup();
    const deadline = Date.now() + 4000;
    expect(await adapter.popUp(pop(), { deadline })).toEqual({ ref: null });
    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/api/v2/events',
        body: { add: [{ type: 'phone_call', phone_number: '+74951234567', users: [1001, 1002] }] },
        auth: 'Bearer token-1',
      },
    ]);
    expect(slots).toEqual([{ priority: 'live', deadline }]);
  });

  it('gathers the pops of calls ringing while a request waits for its slot into the next request', async () => {
    const seen = fake({ 'POST /api/v2/events': () => HttpResponse.json({ _embedded: { items: [] } }) });
    // One request a second: after the first, the next slot is a second away — longer than a busy
    // machine takes between the first ring and the next three.
    const { adapter } = setup({ rps: 1 });
    const phones = ['+74951234561', '+74951234562', '+74951234563', '+74951234564'];
    const ring = (phone: string) => adapter.popUp(pop({ phone, users: [1001] }), live());
    await ring(phones[0] as string);
    // The next three ring while the budget's next slot is still ahead: they wait for it together
    // and go in one request (each alone would make three).
    await Promise.all(phones.slice(1).map(ring));
    expect(seen.map((r) => (r.body as { add: { phone_number: string }[] }).add.map((e) => e.phone_number))).toEqual([
      [phones[0]],
      [phones[1], phones[2], phones[3]],
    ]);
  });

  it('sends nothing for a pop with no CRM user', async () => {
    const seen = fake({});
    const { adapter } = setup();
    expect(await adapter.popUp(pop({ users: [] }), live())).toEqual({ ref: null });
    expect(seen).toEqual([]);
  });

  it('a budget with no slot before the deadline: LateForBudget propagates, nothing is sent', async () => {
    const seen = fake({ 'POST /api/v2/events': () => HttpResponse.json({}) });
    const { adapter, limiter } = setup({ rps: 7 });
    limiter.penalize(10_000);
    await expect(adapter.popUp(pop(), live(1000))).rejects.toBeInstanceOf(LateForBudget);
    await expect(adapter.findCaller('+74951234567', live(1000))).rejects.toBeInstanceOf(LateForBudget);
    expect(seen).toEqual([]);
  });

  it('amoCRM’s refusal is a CrmError', async () => {
    fake({
      'POST /api/v2/events': () =>
        HttpResponse.json(
          { title: 'Bad Request', status: 400, detail: 'users: This value is not valid' },
          { status: 400, headers: { 'content-type': 'application/problem+json' } },
        ),
    });
    const { adapter } = setup();
    const error = await adapter.popUp(pop(), live()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrmError);
    expect((error as CrmError).failure.kind).toBe('rejected');
  });
});

describe('findCaller', () => {
  it('a contact: verified by its PHONE field, its company by id, its newest open deal by filter[id]', async () => {
    const seen = fake({
      'GET /api/v4/contacts': () =>
        HttpResponse.json({
          _embedded: {
            contacts: [
              {
                id: 11,
                name: 'Ivan Petrov',
                responsible_user_id: 1001,
                custom_fields_values: phoneField('8 (495) 123-45-67'),
                _embedded: { leads: [{ id: 31 }, { id: 32 }, { id: 33 }], companies: [{ id: 21 }] },
              },
            ],
          },
        }),
      'GET /api/v4/companies/21': () => HttpResponse.json({ id: 21, name: 'ООО Вектор', responsible_user_id: 1002 }),
      'GET /api/v4/leads': () =>
        HttpResponse.json({
          _embedded: {
            leads: [
              { id: 31, name: 'Old deal', status_id: 61000001, created_at: 1_700_000_000 },
              { id: 32, name: 'Won deal', status_id: 142, created_at: 1_800_000_000 },
              { id: 33, name: 'New deal', status_id: 61000002, created_at: 1_750_000_000 },
            ],
          },
        }),
    });
    const { adapter, slots } = setup();
    const deadline = Date.now() + 5000;
    const card = await adapter.findCaller('+74951234567', { deadline });
    expect(card).toEqual({
      contact: { id: 11, name: 'Ivan Petrov' },
      company: { id: 21, name: 'ООО Вектор' },
      responsibleUserId: 1001,
      deal: { id: 33, name: 'New deal', statusId: 61000002 },
      url: `${BASE_URL}/contacts/detail/11`,
    });
    expect(seen.map((r) => r.path)).toEqual([
      '/api/v4/contacts?query=4951234567&limit=25&with=leads%2Ccompanies',
      '/api/v4/companies/21',
      '/api/v4/leads?filter%5Bid%5D%5B%5D=31&filter%5Bid%5D%5B%5D=32&filter%5Bid%5D%5B%5D=33',
    ]);
    expect(slots).toEqual([
      { priority: 'live', deadline },
      { priority: 'live', deadline },
      { priority: 'live', deadline },
    ]);
  });

  it('a contact without company or deals: one request', async () => {
    const seen = fake({
      'GET /api/v4/contacts': () =>
        HttpResponse.json({
          _embedded: { contacts: [{ id: 12, name: 'Olga', responsible_user_id: 5, custom_fields_values: phoneField('+7 916 555-12-34') }] },
        }),
    });
    const { adapter } = setup();
    expect(await adapter.findCaller('89165551234', live())).toEqual({
      contact: { id: 12, name: 'Olga' },
      company: null,
      responsibleUserId: 5,
      deal: null,
      url: `${BASE_URL}/contacts/detail/12`,
    });
    expect(seen).toHaveLength(1);
  });

  it('a number only a company has: the company card, its open deal', async () => {
    const seen = fake({
      'GET /api/v4/contacts': empty,
      'GET /api/v4/companies': () =>
        HttpResponse.json({
          _embedded: {
            companies: [
              {
                id: 21,
                name: 'ООО Вектор',
                responsible_user_id: 1002,
                custom_fields_values: phoneField('+7 (495) 700-00-00'),
                _embedded: { leads: [{ id: 40 }] },
              },
            ],
          },
        }),
      'GET /api/v4/leads': () => HttpResponse.json({ _embedded: { leads: [{ id: 40, name: 'Supply', status_id: 61000001, created_at: 1 }] } }),
    });
    const { adapter } = setup();
    expect(await adapter.findCaller('+74957000000', live())).toEqual({
      contact: null,
      company: { id: 21, name: 'ООО Вектор' },
      responsibleUserId: 1002,
      deal: { id: 40, name: 'Supply', statusId: 61000001 },
      url: `${BASE_URL}/companies/detail/21`,
    });
    expect(seen.map((r) => r.path)).toEqual([
      '/api/v4/contacts?query=4957000000&limit=25&with=leads%2Ccompanies',
      '/api/v4/companies?query=4957000000&limit=25&with=leads',
      '/api/v4/leads?filter%5Bid%5D%5B%5D=40',
    ]);
  });

  it('unknown: amoCRM’s 204 for both lists is nobody', async () => {
    fake({ 'GET /api/v4/contacts': empty, 'GET /api/v4/companies': empty });
    const { adapter } = setup();
    expect(await adapter.findCaller('+74951112233', live())).toBeNull();
  });

  it('a wrong hit — the query matched another field — is nobody', async () => {
    fake({
      'GET /api/v4/contacts': () =>
        HttpResponse.json({
          _embedded: {
            contacts: [
              // "4951234567" appears in a note-like text field and in a longer number, not as this number.
              { id: 13, name: 'Order 4951234567', custom_fields_values: phoneField('+7 916 000-00-00') },
              { id: 14, name: 'Fax', custom_fields_values: [{ field_id: 9, field_code: null, values: [{ value: '+7 495 123-45-67' }] }] },
            ],
          },
        }),
      'GET /api/v4/companies': empty,
    });
    const { adapter } = setup();
    expect(await adapter.findCaller('+74951234567', live())).toBeNull();
  });

  it('leads embedded with their status are not fetched again; closed ones are never the deal', async () => {
    const seen = fake({
      'GET /api/v4/contacts': () =>
        HttpResponse.json({
          _embedded: {
            contacts: [
              {
                id: 15,
                name: 'Anna',
                custom_fields_values: phoneField('+74951234567'),
                _embedded: { leads: [{ id: 50, status_id: 143 }], companies: [{ id: 22, name: 'Named Co' }] },
              },
            ],
          },
        }),
    });
    const { adapter } = setup();
    expect(await adapter.findCaller('+74951234567', live())).toMatchObject({ company: { id: 22, name: 'Named Co' }, deal: null, responsibleUserId: null });
    expect(seen).toHaveLength(1);
  });

  it('a slow CRM is cut off at the deadline', async () => {
    server.use(
      rest.get(url('/api/v4/contacts'), async () => {
        await delay(5000);
        return empty();
      }),
    );
    const { adapter } = setup();
    const started = Date.now();
    const error = await adapter.findCaller('+74951234567', live(300)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrmError);
    expect((error as CrmError).failure.kind).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('against the sandbox amoCRM', () => {
  function sandboxAdapter() {
    const { sb } = testSandbox({ seed: 'demo', now: () => new Date() });
    return { sb, ...setup({ fetch: (input, init) => sb.fetch(new Request(input, init)), baseUrl: 'https://sandbox.amocrm.ru' }) };
  }

  it('finds Olga with her company, responsible user and open deal; the company alone by its own number', async () => {
    const { sb, adapter } = sandboxAdapter();
    const olga = sb.store.contacts().find((c) => c.name === 'Olga Smirnova');
    const vector = sb.store.companies().find((c) => c.name === 'ООО Вектор');
    const openOf = (ids: number[]) => ids.map((id) => sb.store.lead(id)).find((l) => l?.status === 'active');
    expect(await adapter.findCaller('+79165551234', live())).toEqual({
      contact: { id: olga?.id, name: 'Olga Smirnova' },
      company: { id: vector?.id, name: 'ООО Вектор' },
      responsibleUserId: 1001,
      deal: { id: openOf(olga?.lead_ids ?? [])?.id, name: 'Deal with Olga Smirnova', statusId: 61000001 },
      url: `https://sandbox.amocrm.ru/contacts/detail/${olga?.id}`,
    });
    expect(await adapter.findCaller('84957000000', live())).toEqual({
      contact: null,
      company: { id: vector?.id, name: 'ООО Вектор' },
      responsibleUserId: 1002,
      deal: { id: openOf(vector?.lead_ids ?? [])?.id, name: 'Deal with ООО Вектор', statusId: 61000001 },
      url: `https://sandbox.amocrm.ru/companies/detail/${vector?.id}`,
    });
    expect(await adapter.findCaller('+79990000000', live())).toBeNull();
  });

  it('pops up on the sandbox: the event is kept with the card amoCRM would open', async () => {
    const { sb, adapter } = sandboxAdapter();
    await adapter.popUp(pop({ phone: '+79165551234', users: [1001] }), live());
    expect(sb.store.phoneCallEvents()).toEqual([
      expect.objectContaining({ phone_number: '+79165551234', users: [1001], element: expect.objectContaining({ name: 'Olga Smirnova' }) }),
    ]);
  });
});
