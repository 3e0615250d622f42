/**
 * The generic adapter's live half: `crm.generic.ringing` (the screen pop) and `crm.generic.lookup`
 * (the caller lookup) rendered from the config, sent as live requests, read with selectors — against
 * an msw CRM.
 */
import { delay, http, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../lib/log';
import { ConfigError } from '../../config/errors';
import { parseIntegratorConfig } from '../../settings/integrator';
import { type AcquireOptions, LateForBudget, RateLimiter } from '../limiter';
import { CrmError, type ScreenPop } from '../port';
import { genericAdapter } from './connect';

const server = strictMswServer();
const BASE = 'https://crm.example/api';

const LOOKUP = {
  request: { path: '/callers', query: { number: '{{ phone }}' } },
  phone_formats: ['e164', 'national'],
  contact_id: 'person.id',
  contact_name: 'person.name',
  company_id: 'org.id',
  company_name: 'org.name',
  responsible_user_id: 'owner_id',
  deal_id: 'deals[?open] | [0].id',
  deal_name: 'deals[?open] | [0].title',
  deal_status: 'deals[?open] | [0].stage',
  url: 'person.link || org.link',
};

const RINGING = {
  request: {
    path: '/ringing',
    body: { number: '{{ phone }}', call: '{{ uniq }}', agents: '{{ users }}', agent: '{{ user_id }}', ext: '{{ extension }}', name: '{{ caller_name }}' },
  },
};

function setup(generic: Record<string, unknown> = {}, rps = 1000) {
  const config = parseIntegratorConfig(
    JSON.stringify({
      unknown_callers: { inbound: 'skip', outbound: 'skip' },
      crm: {
        adapter: 'generic',
        generic: {
          base_url: BASE,
          find_contact: { request: { path: '/contacts', query: { phone: '{{ phone }}' } }, ids: 'data[].id' },
          log_call: { request: { path: '/calls', body: { phone: '{{ phone }}' } }, id: 'id' },
          lookup: LOOKUP,
          ringing: RINGING,
          ...generic,
        },
      },
    }),
    'c.json',
  );
  const limiter = new RateLimiter({ rps });
  const slots: AcquireOptions[] = [];
  const acquire = limiter.acquire.bind(limiter);
  limiter.acquire = (o: AcquireOptions = {}) => {
    slots.push(o);
    return acquire(o);
  };
  const adapter = genericAdapter(config.crm.generic!, { config, limiter, log: memoryLogger(), secrets: {}, fetch });
  return { adapter, limiter, slots };
}

function record() {
  const seen: { method: string; url: string; body: unknown }[] = [];
  return {
    seen,
    keep: async (request: Request) => {
      const text = await request.text();
      seen.push({ method: request.method, url: request.url.replace(BASE, ''), body: text ? JSON.parse(text) : undefined });
    },
    /** Records the request and answers `body`. */
    answer:
      (body: unknown) =>
      async ({ request }: { request: Request }) => {
        const text = await request.text();
        seen.push({ method: request.method, url: request.url.replace(BASE, ''), body: text ? JSON.parse(text) : undefined });
        return HttpResponse.json(body as Record<string, unknown>);
      },
  };
}

const live = (ms = 5000) => ({ deadline: Date.now() + ms });
const pop = (over: Partial<ScreenPop> = {}): ScreenPop => ({
  uniq: 'ct1-live',
  direction: 'inbound',
  phone: '+74951234567',
  users: [5, 6],
  extensions: { '5': '101', '6': '102' },
  line: null,
  startedAt: new Date('2026-11-20T07:00:00Z'),
  caller: { contact: { id: 9, name: 'Ivan' }, company: null, responsibleUserId: 5, deal: null, url: null },
  ...over,
});

describe('ringing → popUp', () => {
  it('one request with the users as a list, typed values, as a live request', async () => {
    const { seen, answer } = record();
    server.use(http.post(`${BASE}/ringing`, answer({ ok: true })));
    const { adapter, slots } = setup();
    const deadline = Date.now() + 4000;
    expect(await adapter.popUp?.(pop(), { deadline })).toEqual({ ref: null });
    expect(seen).toEqual([
      { method: 'POST', url: '/ringing', body: { number: '+74951234567', call: 'ct1-live', agents: [5, 6], agent: 5, ext: '101', name: 'Ivan' } },
    ]);
    expect(slots).toEqual([{ priority: 'live', deadline }]);
  });

  it('per_user: one request per user, each with its own user and extension', async () => {
    const { seen, answer } = record();
    server.use(http.post(`${BASE}/ringing`, answer({})));
    const { adapter } = setup({ ringing: { ...RINGING, per_user: true } });
    await adapter.popUp?.(pop({ caller: null }), live());
    expect(seen.map((r) => r.body)).toEqual([
      { number: '+74951234567', call: 'ct1-live', agents: [5], agent: 5, ext: '101', name: null },
      { number: '+74951234567', call: 'ct1-live', agents: [6], agent: 6, ext: '102', name: null },
    ]);
  });

  it('LateForBudget propagates and nothing is sent', async () => {
    const { adapter, limiter } = setup({}, 1);
    limiter.penalize(10_000);
    await expect(adapter.popUp?.(pop(), live(1000))).rejects.toBeInstanceOf(LateForBudget);
    await expect(adapter.findCaller?.('+74951234567', live(1000))).rejects.toBeInstanceOf(LateForBudget);
  });

  it('without ringing and lookup in the config the adapter has neither method', () => {
    const { adapter } = setup({ ringing: undefined, lookup: undefined });
    expect(adapter.popUp).toBeUndefined();
    expect(adapter.findCaller).toBeUndefined();
  });
});

describe('lookup → findCaller', () => {
  it('reads every CallerCard field with its selector', async () => {
    const { seen, keep } = record();
    server.use(
      http.get(`${BASE}/callers`, async ({ request }) => {
        await keep(request);
        return HttpResponse.json({
          person: { id: 9, name: 'Ivan', link: 'https://crm.example/p/9' },
          org: { id: 3, name: 'Vector' },
          owner_id: 5,
          deals: [
            { id: 1, title: 'Closed', stage: 'won', open: false },
            { id: 2, title: 'Supply', stage: 'talks', open: true },
          ],
        });
      }),
    );
    const { adapter, slots } = setup();
    expect(await adapter.findCaller?.('+74951234567', live())).toEqual({
      contact: { id: 9, name: 'Ivan' },
      company: { id: 3, name: 'Vector' },
      responsibleUserId: 5,
      deal: { id: 2, name: 'Supply', statusId: 'talks' },
      url: 'https://crm.example/p/9',
    });
    expect(seen.map((r) => r.url)).toEqual(['/callers?number=%2B74951234567']);
    expect(slots.every((s) => s.priority === 'live')).toBe(true);
  });

  it('a company only; nobody after every phone format', async () => {
    const { seen, keep } = record();
    server.use(
      http.get(`${BASE}/callers`, async ({ request }) => {
        await keep(request);
        const number = new URL(request.url).searchParams.get('number');
        return HttpResponse.json(number === '+74957000000' ? { org: { id: 3, name: 'Vector', link: 'https://crm.example/o/3' } } : {});
      }),
    );
    const { adapter } = setup();
    expect(await adapter.findCaller?.('+74957000000', live())).toEqual({
      contact: null,
      company: { id: 3, name: 'Vector' },
      responsibleUserId: null,
      deal: null,
      url: 'https://crm.example/o/3',
    });
    seen.length = 0;
    expect(await adapter.findCaller?.('+74951112233', live())).toBeNull();
    expect(seen.map((r) => r.url)).toEqual(['/callers?number=%2B74951112233', '/callers?number=84951112233']);
  });

  it('a slow CRM is cut off at the deadline', async () => {
    server.use(
      http.get(`${BASE}/callers`, async () => {
        await delay(5000);
        return HttpResponse.json({});
      }),
    );
    const { adapter } = setup();
    const started = Date.now();
    await expect(adapter.findCaller?.('+74951234567', live(300))).rejects.toBeInstanceOf(CrmError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('the config', () => {
  const problems = (generic: Record<string, unknown>) => {
    try {
      setup(generic);
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  it('a lookup needs contact_id or company_id; ringing templates know only their variables', () => {
    expect(problems({ lookup: { request: { path: '/callers' }, url: 'link' } }).join('\n')).toMatch(
      /crm\.generic\.lookup\.contact_id: needs contact_id or company_id/,
    );
    expect(problems({ ringing: { request: { path: '/r', body: { x: '{{ recording_url }}' } } } }).join('\n')).toMatch(
      /crm\.generic\.ringing\.request\.body\.x: unknown variable/,
    );
  });
});
