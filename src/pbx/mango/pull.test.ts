import { createHash } from 'node:crypto';
import { http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { collect, failureOf, pullDeps, vendorAnswer } from '#test/pull';
import { describe, expect, it } from 'vitest';
import type { LegEnded } from '../../domain/events';
import type { IngestInput } from '../../ledger/inbox';
import { defaultParseContext } from '../source';
import * as transfer from './fixtures/inbound-transfer';
import { mangoParser } from './parse';
import { mangoPull } from './pull';
import { callKeyOf } from '../../domain/events';

const KEY = 'mango-vpbx-key-0123456789';
const SALT = 'mango-salt-abcdef0123456789';
const API = 'https://app.mango-office.ru/vpbx';

const server = strictMswServer();

const deps = (env: Record<string, string> = { MANGO_API_KEY: KEY, MANGO_API_SALT: SALT }, mango: Record<string, unknown> = {}) => pullDeps(env, { mango });

/** Mango's documented signature, computed here with node:crypto. */
const sign = (json: string) =>
  createHash('sha256')
    .update(KEY + json + SALT)
    .digest('hex');

interface Asked {
  path: string;
  payload: Record<string, unknown>;
}

/**
 * Mango's stats API: stats/request answers a key, stats/result answers 204 `pending` times, then
 * the report as `;`-separated lines without a header. A request not signed with the key and salt is refused.
 */
function mango(lines: string[], options: { pending?: number } = {}) {
  const asked: Asked[] = [];
  let pending = options.pending ?? 0;
  const handler = (path: string) =>
    rest.post(`${API}${path}`, async ({ request }) => {
      const form = new URLSearchParams(await request.text());
      const json = form.get('json') ?? '';
      if (form.get('vpbx_api_key') !== KEY || form.get('sign') !== sign(json)) {
        return HttpResponse.json({ result: 3102, message: 'Invalid signature' }, { status: 401 });
      }
      asked.push({ path, payload: JSON.parse(json) as Record<string, unknown> });
      if (path === '/stats/request') return HttpResponse.json({ key: 'c3RhdHMta2V5LTE=' });
      if ((JSON.parse(json) as { key?: string }).key !== 'c3RhdHMta2V5LTE=')
        return HttpResponse.json({ result: 3104, message: 'key not found' }, { status: 404 });
      if (pending-- > 0) return new HttpResponse(null, { status: 204 });
      return new HttpResponse(lines.join('\n'), { headers: { 'content-type': 'text/csv;charset=UTF-8' } });
    });
  server.use(handler('/stats/request'), handler('/stats/result'));
  return asked;
}

const T = 1_795_158_000;
const E = transfer.ENTRY;
/** The fixture's transferred call as the report lists it: the IVR, employee 333, then 321. */
const transferLines = [
  `[];${T - 3};${T};0;;74955404444;;74957654321;1100;74957654321;ivr;${E}`,
  `[MToxMDE2MzUyODozMzM6cmVj];${T};${T + 55};${T + 5};;74955404444;333;44332211;1120;74957654321;abonent;${E}`,
  `[MToxMDE2MzUyODozMjE6cmVj];${T + 45};${T + 240};${T + 60};;74955404444;321;87654321;1110;74957654321;abonent;${E}`,
];

const window = { from: new Date('2026-11-19T21:00:00Z'), to: new Date('2026-11-20T21:00:00Z') };
const noWait = { sleep: async () => {} };
const legs = (inputs: IngestInput[]) => inputs.flatMap((i) => i.events).filter((e): e is LegEnded => e.kind === 'leg');

describe('the Mango pull', () => {
  it('asks for the report around the window with signed requests, and waits while it is prepared', async () => {
    const asked = mango([], { pending: 2 });
    const waits: number[] = [];
    const pages = await collect(mangoPull({ stats: { sleep: async (ms) => void waits.push(ms) } }).pull(window, deps().deps));
    expect(pages).toEqual([]);
    expect(asked).toEqual([
      {
        path: '/stats/request',
        payload: {
          date_from: String(Date.parse('2026-11-19T18:00:00Z') / 1000),
          date_to: String(Date.parse('2026-11-21T00:00:00Z') / 1000),
          fields: 'records,start,finish,answer,from_extension,from_number,to_extension,to_number,disconnect_reason,line_number,location,entry_id',
        },
      },
      { path: '/stats/result', payload: { key: 'c3RhdHMta2V5LTE=' } },
      { path: '/stats/result', payload: { key: 'c3RhdHMta2V5LTE=' } },
      { path: '/stats/result', payload: { key: 'c3RhdHMta2V5LTE=' } },
    ]);
    expect(waits).toEqual([1000, 2000]);
  });

  it('makes the notifications Mango would have posted: the same conversation as the webhooks', async () => {
    mango(transferLines);
    const inputs = (await collect(mangoPull().pull(window, deps().deps))).flat();
    expect(inputs.map((i) => [i.meta?.event, i.dedupeKey])).toEqual([
      ['summary', `stats:summary:${E}`],
      ['call', `stats:call:${E}:stats:2:3`],
      ['recording', 'stats:recording:MToxMDE2MzUyODozMzM6cmVj'],
      ['call', `stats:call:${E}:stats:3:3`],
      ['recording', 'stats:recording:MToxMDE2MzUyODozMjE6cmVj'],
    ]);
    expect(inputs.every((i) => i.meta?.origin === 'stats' && !new URLSearchParams(i.raw).has('sign'))).toBe(true);

    // The webhooks' legs, for comparison: the report has no call_id, so the employees' legs are named differently.
    const ctx = defaultParseContext();
    const body = (json: unknown) => new URLSearchParams({ json: JSON.stringify(json) }).toString();
    const fromWebhooks = [
      ...mangoParser.parse(body(transfer.summary), { event: 'summary' }, ctx),
      ...mangoParser.parse(
        body(transfer.disconnected333),
        { event: 'call', timeline: JSON.stringify([transfer.appeared333, transfer.connected333, transfer.onHold333]) },
        ctx,
      ),
      ...mangoParser.parse(
        body(transfer.disconnected321),
        { event: 'call', timeline: JSON.stringify([transfer.appeared321, transfer.transferred321, transfer.connected321]) },
        ctx,
      ),
    ].filter((e) => e.kind !== 'live') as LegEnded[];
    const renamed = new Map([
      [`${E}:stats:2`, 'MToxMDE2MzUyODozMDA6MjAw'],
      [`${E}:stats:3`, 'MToxMDE2MzUyODo0MDA6MjAw'],
    ]);
    const pulled = legs(inputs).map((l) => ({ ...l, legKey: renamed.get(l.legKey) ?? l.legKey }));
    expect(pulled).toEqual(fromWebhooks);
    expect(pulled[0]).toMatchObject({
      callKey: E,
      direction: 'inbound',
      from: '74955404444',
      to: null,
      final: true,
      disposition: 'answered',
      talkSeconds: 235,
    });
    expect(pulled[1]).toMatchObject({ legKey: `${E}:answered:333`, extension: '333', talkSeconds: 0 });
    expect(pulled.slice(2).map((l) => [l.extension, l.answeredAt?.getTime(), l.endedAt.getTime()])).toEqual([
      ['333', (T + 5) * 1000, (T + 55) * 1000],
      ['321', (T + 60) * 1000, (T + 240) * 1000],
    ]);
    expect(inputs.flatMap((i) => i.events).filter((e) => e.kind === 'recording')).toEqual([
      {
        kind: 'recording',
        callKey: E,
        legKey: `${E}:stats:2`,
        recording: { key: 'MToxMDE2MzUyODozMzM6cmVj', url: null, status: 'referenced', vendorRef: 'MToxMDE2MzUyODozMzM6cmVj' },
      },
      {
        kind: 'recording',
        callKey: E,
        legKey: `${E}:stats:3`,
        recording: { key: 'MToxMDE2MzUyODozMjE6cmVj', url: null, status: 'referenced', vendorRef: 'MToxMDE2MzUyODozMjE6cmVj' },
      },
    ]);
  });

  it('reads an outgoing call, a busy one, and a missed incoming one', async () => {
    const t = T + 3600;
    mango([
      `[];${t};${t + 20};0;101;sip:user101@vpbx;;79161234567;1121;74957654321;abonent;OUT1`,
      `[];${t + 100};${t + 130};0;;74951112233;102;sip:102@vpbx;1110;74957654321;abonent;MISSED1`,
      `[];${t + 200};${t + 500};${t + 210};101;sip:user101@vpbx;;79031234567;1110;74957654321;abonent;OUT2`,
    ]);
    const all = legs((await collect(mangoPull().pull(window, deps().deps))).flat());
    expect(all.filter((l) => l.final).map((l) => [l.callKey, l.direction, l.from, l.to, l.talkSeconds, l.disposition])).toEqual([
      ['OUT1', 'outbound', null, '79161234567', null, 'busy'],
      ['MISSED1', 'inbound', '74951112233', null, null, 'no_answer'],
      ['OUT2', 'outbound', null, '79031234567', 290, 'answered'],
    ]);
    // The summary names the employee as a moment of its own.
    expect(all.filter((l) => l.legKey.includes(':answered:') || l.legKey.includes(':rang:')).map((l) => [l.callKey, l.from, l.to, l.extension])).toEqual([
      ['OUT1', '101', '79161234567', '101'],
      ['MISSED1', '74951112233', '102', '102'],
      ['OUT2', '101', '79031234567', '101'],
    ]);
    // The employee's own leg carries the talk: answered at `answer`, ended at `finish`.
    expect(all.filter((l) => l.legKey.includes(':stats:')).map((l) => [l.callKey, l.disposition, l.answeredAt?.getTime(), l.endedAt.getTime()])).toEqual([
      ['OUT1', 'busy', undefined, (t + 20) * 1000],
      ['MISSED1', 'no_answer', undefined, (t + 130) * 1000],
      ['OUT2', 'answered', (t + 210) * 1000, (t + 500) * 1000],
    ]);
  });

  it('keeps an entry that started in the window whole, and leaves out one that started before it', async () => {
    const end = Date.parse('2026-11-20T21:00:00Z') / 1000;
    const start = Date.parse('2026-11-19T21:00:00Z') / 1000;
    mango([
      `[];${end - 10};${end - 5};0;;74955404444;;74957654321;1100;74957654321;ivr;LATE`,
      `[];${end - 5};${end + 100};${end + 2};;74955404444;333;44332211;1110;74957654321;abonent;LATE`,
      `[];${start - 60};${start - 50};0;;74955404444;;74957654321;1100;74957654321;ivr;EARLY`,
      `[];${start + 10};${start + 60};${start + 20};;74955404444;333;44332211;1110;74957654321;abonent;EARLY`,
    ]);
    const inputs = (await collect(mangoPull().pull(window, deps().deps))).flat();
    expect(new Set(inputs.flatMap((i) => i.events.map(callKeyOf)))).toEqual(new Set(['LATE']));
    expect(legs(inputs).find((l) => l.legKey.includes(':stats:'))?.endedAt).toEqual(new Date((end + 100) * 1000));
  });

  it('keeps each entry whole when it cuts the result into pages', async () => {
    mango(Array.from({ length: 4 }, (_, i) => transferLines.map((l) => l.replace(E, `ENTRY${i}`))).flat());
    const pages = await collect(mangoPull({ pageSize: 3 }).pull(window, deps().deps));
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5]);
    expect(pages.map((p) => new Set(p.flatMap((i) => i.events.map(callKeyOf))).size)).toEqual([1, 1, 1, 1]);
  });

  it('converts the window as the parser reads times when timestamps_in_local_time is set', async () => {
    const asked = mango([]);
    await collect(mangoPull({ marginSeconds: 0 }).pull(window, deps(undefined, { timestamps_in_local_time: true, time_zone: 'Europe/Moscow' }).deps));
    expect(asked[0]?.payload).toMatchObject({
      date_from: String(Date.parse('2026-11-20T00:00:00Z') / 1000),
      date_to: String(Date.parse('2026-11-21T00:00:00Z') / 1000),
    });
  });

  it('skips a line it cannot read and says so', async () => {
    mango([...transferLines, `[];yesterday;${T};0;;74955404444;;;;;ivr;BAD`]);
    const { deps: d, log } = deps();
    const inputs = (await collect(mangoPull().pull(window, d))).flat();
    expect(new Set(inputs.flatMap((i) => i.events.map(callKeyOf)))).toEqual(new Set([E]));
    expect(log.lines.join('\n')).toMatch(/a line of Mango's call statistics cannot be read; skipped/);
  });

  it.each([
    [
      '/stats/request',
      401,
      { result: 3102, message: 'Invalid signature' },
      /stats\/request: Mango answered HTTP 401 \(check MANGO_API_KEY and MANGO_API_SALT\): result 3102: Invalid signature/,
    ],
    ['/stats/request', 200, { result: 3101, message: 'bad request' }, /stats\/request: Mango answered HTTP 200: result 3101: bad request/],
    ['/stats/result', 500, 'Internal Server Error', /stats\/result: Mango answered HTTP 500: Internal Server Error/],
  ])('fails clearly when %s answers HTTP %i, without the key or the salt', async (path, status, body, message) => {
    mango(transferLines);
    server.use(rest.post(`${API}${path}`, () => vendorAnswer(body, status)));
    const error = await failureOf(mangoPull().pull(window, deps().deps));
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(KEY);
    expect(error?.message).not.toContain(SALT);
  });

  it('gives up when the report is not prepared in time', async () => {
    mango(transferLines, { pending: 1000 });
    await expect(collect(mangoPull({ stats: { ...noWait, maxWaitMs: 10_000 } }).pull(window, deps().deps))).rejects.toThrow(
      /Mango had not prepared the report after 6 s/,
    );
  });

  it('is enabled by the key and the salt', async () => {
    expect(mangoPull().enabled(deps().deps)).toBe(true);
    expect(mangoPull().enabled(deps({}).deps)).toBe(false);
    await expect(collect(mangoPull().pull(window, deps({}).deps))).rejects.toThrow(/MANGO_API_KEY and MANGO_API_SALT/);
  });
});
