import { createHash, createHmac } from 'node:crypto';
import { http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { collect, failureOf, pullDeps, vendorAnswer } from '#test/pull';
import { describe, expect, it } from 'vitest';
import type { LegEnded } from '../../domain/events';
import type { IngestInput } from '../../ledger/inbox';
import { requestRanges, zadarmaPull } from './pull';
import { callKeyOf } from '../../domain/events';

const KEY = 'a248a6a984459935b569';
const SECRET = '8a8e91d214fb728889c7';
const ENDPOINT = 'https://api.zadarma.com/v1/statistics/pbx/';

const server = strictMswServer();

const deps = (env: Record<string, string> = { ZADARMA_API_KEY: KEY, ZADARMA_API_SECRET: SECRET }, zadarma: Record<string, unknown> = {}) =>
  pullDeps(env, { zadarma });

/**
 * Zadarma's documented API signature, computed here with node:crypto: the parameters sorted by
 * name, PHP-encoded (a space is "+", ":" is "%3A"), then base64(hex(HMAC-SHA1(secret, method + query + md5(query)))).
 */
function expectedAuthorization(url: URL) {
  const params = [...url.searchParams.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%20/g, '+')}`).join('&');
  const md5 = createHash('md5').update(query).digest('hex');
  const hex = createHmac('sha1', SECRET).update(`/v1/statistics/pbx/${query}${md5}`).digest('hex');
  return `${KEY}:${Buffer.from(hex).toString('base64')}`;
}

type Line = Record<string, unknown>;
interface Seen {
  params: Record<string, string>;
  signed: boolean;
}

/** Zadarma's statistics, paged as documented (skip/limit, at most 1000 lines per answer). */
function statistics(lines: { in: Line[]; out: Line[] }, options: { raw?: (params: URLSearchParams) => string | undefined } = {}) {
  const seen: Seen[] = [];
  server.use(
    rest.get(ENDPOINT, ({ request }) => {
      const url = new URL(request.url);
      const params = Object.fromEntries(url.searchParams);
      seen.push({ params, signed: request.headers.get('authorization') === expectedAuthorization(url) });
      if (request.headers.get('authorization') !== expectedAuthorization(url)) {
        return HttpResponse.json({ status: 'error', message: 'Not authorized' }, { status: 401 });
      }
      const raw = options.raw?.(url.searchParams);
      if (raw !== undefined) return new HttpResponse(raw, { headers: { 'content-type': 'application/json' } });
      const all = lines[params.call_type as 'in' | 'out'] ?? [];
      const skip = Number(params.skip ?? 0);
      const limit = Math.min(1000, Number(params.limit ?? 1000));
      return HttpResponse.json({ status: 'success', start: params.start, end: params.end, version: 2, stats: all.slice(skip, skip + limit) });
    }),
  );
  return seen;
}

// The night of 19 → 20 November 2026 in Moscow (UTC+3).
const window = { from: new Date('2026-11-19T21:00:00Z'), to: new Date('2026-11-20T21:00:00Z') };
const IN_ID = 'in_4f9e5b2a1c0d3e6f7a8b9c0d1e2f3a4b5c6d7e8f';
const OUT_ID = 'out_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b';

/** A transfer: 101 does not answer, 100 answers and transfers to 205; both talks are recorded. */
const transfer: Line[] = [
  {
    call_id: '1795158000.1011',
    sip: '74951234567',
    callstart: '2026-11-20 10:00:00',
    clid: '74951234567',
    destination: 101,
    disposition: 'no answer',
    seconds: 0,
    is_recorded: false,
    pbx_call_id: IN_ID,
  },
  {
    call_id: '1795158000.1001',
    sip: '74951234567',
    callstart: '2026-11-20 10:00:05',
    clid: '74951234567',
    destination: 100,
    disposition: 'answered',
    seconds: 60,
    is_recorded: true,
    pbx_call_id: IN_ID,
  },
  {
    call_id: '1795158000.2051',
    sip: '74951234567',
    callstart: '2026-11-20 10:01:05',
    clid: '74951234567',
    destination: 205,
    disposition: 'answered',
    seconds: 150,
    is_recorded: true,
    pbx_call_id: IN_ID,
  },
];
const busyOut: Line = {
  call_id: '1795160000.5',
  sip: '100',
  callstart: '2026-11-20 11:00:00',
  clid: '74957654321',
  destination: '79161234567',
  disposition: 'busy',
  seconds: 0,
  is_recorded: false,
  pbx_call_id: OUT_ID,
};

const legs = (inputs: IngestInput[]) => inputs.flatMap((i) => i.events).filter((e): e is LegEnded => e.kind === 'leg');

describe('the Zadarma pull', () => {
  it('asks for each direction with signed requests in the account zone, around the window', async () => {
    const seen = statistics({ in: [], out: [] });
    expect(await collect(zadarmaPull().pull(window, deps().deps))).toEqual([]);
    expect(seen.map((s) => s.signed)).toEqual([true, true]);
    expect(seen.map((s) => s.params)).toEqual(
      (['in', 'out'] as const).map((callType) => ({
        start: '2026-11-19 21:00:00',
        end: '2026-11-21 02:59:59',
        version: '2',
        call_type: callType,
        skip: '0',
        limit: '1000',
        format: 'json',
      })),
    );
  });

  it('reads the zone of sources.zadarma.time_zone', async () => {
    const seen = statistics({ in: [], out: [] });
    await collect(zadarmaPull({ marginSeconds: 0 }).pull(window, deps(undefined, { time_zone: 'Asia/Yekaterinburg' }).deps));
    expect(seen[0]?.params).toMatchObject({ start: '2026-11-20 02:00:00', end: '2026-11-21 01:59:59' });
  });

  it('turns a transferred incoming call into the notifications its webhook would have sent', async () => {
    statistics({ in: transfer, out: [] });
    const pages = await collect(zadarmaPull().pull(window, deps().deps));
    expect(pages).toHaveLength(1);
    const inputs = pages[0] ?? [];
    expect(inputs.every((i) => i.source === 'zadarma' && i.meta?.origin === 'statistics')).toBe(true);
    expect(inputs.map((i) => new URLSearchParams(i.raw).get('event'))).toEqual([
      'NOTIFY_END',
      'NOTIFY_INTERNAL',
      'NOTIFY_INTERNAL',
      'NOTIFY_ANSWER',
      'NOTIFY_INTERNAL',
      'NOTIFY_ANSWER',
      'NOTIFY_RECORD',
    ]);
    const final = legs(inputs).find((l) => l.final);
    expect(final).toEqual({
      kind: 'leg',
      callKey: IN_ID,
      legKey: IN_ID,
      direction: 'inbound',
      from: '74951234567',
      to: '205',
      extension: '205',
      // The statistics name no DID.
      line: null,
      startedAt: new Date('2026-11-20T07:00:00Z'),
      answeredAt: new Date('2026-11-20T07:00:00Z'),
      endedAt: new Date('2026-11-20T07:03:30Z'),
      disposition: 'answered',
      talkSeconds: 210,
      final: true,
      recorded: null,
      recording: { key: '1795158000.2051', url: null, status: 'referenced', vendorRef: '1795158000.2051' },
    });
    expect(
      legs(inputs)
        .map((l) => l.legKey)
        .sort(),
    ).toEqual([IN_ID, `${IN_ID}:answered:100`, `${IN_ID}:answered:205`, `${IN_ID}:rang:100`, `${IN_ID}:rang:101`, `${IN_ID}:rang:205`]);
    expect(inputs.flatMap((i) => i.events).filter((e) => e.kind === 'recording')).toEqual([
      {
        kind: 'recording',
        callKey: IN_ID,
        legKey: IN_ID,
        recording: { key: '1795158000.1001', url: null, status: 'referenced', vendorRef: '1795158000.1001' },
      },
    ]);
  });

  it('turns an outgoing call into NOTIFY_OUT_END: from the extension to the number dialled', async () => {
    statistics({ in: [], out: [busyOut] });
    const [page] = await collect(zadarmaPull().pull(window, deps().deps));
    expect(page).toHaveLength(1);
    expect(Object.fromEntries(new URLSearchParams(page?.[0]?.raw))).toEqual({
      event: 'NOTIFY_OUT_END',
      call_start: '2026-11-20 11:00:00',
      pbx_call_id: OUT_ID,
      caller_id: '74957654321',
      internal: '100',
      destination: '79161234567',
      duration: '0',
      disposition: 'busy',
      is_recorded: '0',
    });
    expect(legs(page ?? [])).toEqual([
      expect.objectContaining({
        callKey: OUT_ID,
        direction: 'outbound',
        from: '100',
        to: '79161234567',
        extension: '100',
        disposition: 'busy',
        talkSeconds: null,
        final: true,
        recorded: false,
      }),
    ]);
  });

  it('takes the caller from sip when clid is not a number', async () => {
    statistics({ in: [{ ...transfer[1], clid: 'Ivan Petrov' }], out: [] });
    const inputs = (await collect(zadarmaPull().pull(window, deps().deps))).flat();
    expect(new URLSearchParams(inputs[0]?.raw).get('caller_id')).toBe('74951234567');
  });

  it('keeps a call that started in the window whole, and leaves out one that started before it', async () => {
    // Starts 10 s before the window ends (midnight in Moscow); 205 answers after it.
    const starts = ['2026-11-20 23:59:50', '2026-11-20 23:59:55', '2026-11-21 00:00:55'];
    const late = transfer.map((l, i) => ({ ...l, pbx_call_id: 'in_late', callstart: starts[i] }));
    const early = { ...busyOut, pbx_call_id: 'out_early', callstart: '2026-11-19 23:58:00' };
    statistics({ in: late, out: [early] });
    const inputs = (await collect(zadarmaPull().pull(window, deps().deps))).flat();
    expect(new Set(inputs.flatMap((i) => i.events.map(callKeyOf)))).toEqual(new Set(['in_late']));
    expect(legs(inputs).find((l) => l.final)?.talkSeconds).toBe(210);
  });

  it('pages through more than 1000 lines, and never splits a call between two yielded pages', async () => {
    const missed = Array.from({ length: 1001 }, (_, i) => ({
      call_id: `1795170000.${i}`,
      sip: '74951234567',
      callstart: '2026-11-20 12:00:00',
      clid: '74951234567',
      destination: 100,
      disposition: 'cancel',
      seconds: 0,
      is_recorded: false,
      pbx_call_id: `in_missed_${i}`,
    }));
    const seen = statistics({ in: [...missed, ...transfer], out: [] });
    const pages = await collect(zadarmaPull({ pageSize: 100 }).pull(window, deps().deps));
    expect(seen.filter((s) => s.params.call_type === 'in').map((s) => s.params.skip)).toEqual(['0', '1000']);
    const keys = pages.map((p) => new Set(p.flatMap((i) => i.events.map(callKeyOf))));
    expect(keys.reduce((n, k) => n + k.size, 0)).toBe(1002);
    expect(keys.filter((k) => k.has(IN_ID))).toHaveLength(1);
    expect(pages.every((p) => p.length <= 100 + 6)).toBe(true);
    const missedLeg = legs(pages.flat()).find((l) => l.callKey === 'in_missed_7' && l.final);
    expect(missedLeg).toMatchObject({ direction: 'inbound', from: '74951234567', extension: '100', disposition: 'no_answer', talkSeconds: null });
  });

  it('keeps every digit of a call_id Zadarma sends as a JSON number (it names the recording)', async () => {
    const line = { ...transfer[1], call_id: '__ID__' };
    statistics(
      { in: [], out: [] },
      {
        raw: (params) =>
          params.get('call_type') === 'in' ? JSON.stringify({ status: 'success', stats: [line] }).replace('"__ID__"', '1795158000.20510001') : undefined,
      },
    );
    const inputs = (await collect(zadarmaPull().pull(window, deps().deps))).flat();
    expect(new URLSearchParams(inputs[0]?.raw).get('call_id_with_rec')).toBe('1795158000.20510001');
  });

  it('waits out a rate limit (429) and asks again, within bounds', async () => {
    let calls = 0;
    server.use(
      rest.get(ENDPOINT, () => {
        calls++;
        return calls === 1 ? new HttpResponse('Too many requests', { status: 429 }) : HttpResponse.json({ status: 'success', stats: [] });
      }),
    );
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    await collect(zadarmaPull({ statistics: { sleep } }).pull(window, deps().deps));
    expect(waits).toEqual([21_000]);
    expect(calls).toBe(3);

    server.use(rest.get(ENDPOINT, () => new HttpResponse('Too many requests', { status: 429 })));
    await expect(collect(zadarmaPull({ statistics: { sleep, maxRateLimited: 2 } }).pull(window, deps().deps))).rejects.toThrow(
      /still rate limited \(HTTP 429\) after 2 waits/,
    );
  });

  it.each([
    [401, { status: 'error', message: 'Not authorized' }, /refused the API key \(HTTP 401\); check ZADARMA_API_KEY and ZADARMA_API_SECRET/],
    [400, { status: 'error', message: 'Wrong parameters: period is longer than a month' }, /HTTP 400: Wrong parameters: period is longer than a month/],
    [500, '<html>Internal Server Error</html>', /HTTP 500 with an unexpected body: <html>Internal Server Error/],
  ])('fails clearly on HTTP %i, without the key or the secret', async (status, body, message) => {
    server.use(rest.get(ENDPOINT, () => vendorAnswer(body, status)));
    const error = await failureOf(zadarmaPull().pull(window, deps().deps));
    expect(error?.message).toMatch(message);
    expect(error?.message).toMatch(/Zadarma's PBX statistics \(in, 2026-11-19 21:00:00 – 2026-11-21 02:59:59, skip 0\)/);
    expect(error?.message).not.toContain(KEY);
    expect(error?.message).not.toContain(SECRET);
  });

  it('skips a line it cannot read, says so, and carries on', async () => {
    statistics({ in: [{ ...transfer[0], callstart: 'yesterday' }, ...transfer.slice(1)], out: [] });
    const { deps: d, log } = deps();
    const inputs = (await collect(zadarmaPull().pull(window, d))).flat();
    expect(legs(inputs).find((l) => l.final)?.talkSeconds).toBe(210);
    expect(log.lines.join('\n')).toMatch(/a Zadarma statistics line cannot be read; skipped/);
  });

  it('is enabled by the API key pair only, and refuses to pull without it', async () => {
    expect(zadarmaPull().enabled(deps().deps)).toBe(true);
    const off = deps({}).deps;
    expect(zadarmaPull().enabled(off)).toBe(false);
    await expect(collect(zadarmaPull().pull(window, off))).rejects.toThrow(/ZADARMA_API_KEY and ZADARMA_API_SECRET/);
  });

  it('cuts a long window into requests of at most 28 days', () => {
    const ranges = requestRanges({ from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z') }, 0);
    expect(ranges.map((r) => [r.from.toISOString().slice(0, 10), r.to.toISOString().slice(0, 10)])).toEqual([
      ['2026-01-01', '2026-01-29'],
      ['2026-01-29', '2026-02-26'],
      ['2026-02-26', '2026-03-01'],
    ]);
  });
});
