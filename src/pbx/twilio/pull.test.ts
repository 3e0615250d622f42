import { http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { collect, failureOf, pullDeps, vendorAnswer } from '#test/pull';
import { describe, expect, it } from 'vitest';
import { defaultParseContext } from '../source';
import { sourcesConfigSchema } from '../sources-config';
import * as inbound from './fixtures/inbound-transfer';
import { twilioParser } from './parse';
import { twilioPull } from './pull';
import { callKeyOf } from '../../domain/events';

const TOKEN = '9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c';
const SID = inbound.ACCOUNT_SID;
const ENDPOINT = `https://api.twilio.com/2010-04-01/Accounts/${SID}/Calls.json`;

const server = strictMswServer();

const TWILIO = { twilio: { own_numbers: ['+74993334455'] } };
const sources = sourcesConfigSchema.parse(TWILIO);

const deps = (env: Record<string, string> = { TWILIO_AUTH_TOKEN: TOKEN }) => pullDeps(env, TWILIO);

/** Twilio's Call resources (API 2010-04-01) for the fixture's transferred call. */
const call = (fields: Record<string, unknown>) => ({
  account_sid: SID,
  annotation: null,
  answered_by: null,
  api_version: '2010-04-01',
  caller_name: null,
  date_created: fields.start_time,
  date_updated: fields.end_time,
  forwarded_from: '+74993334455',
  from: '+74951234567',
  from_formatted: '+7 495 123-45-67',
  group_sid: null,
  parent_call_sid: null,
  phone_number_sid: 'PN3f1b6d2c4e5a6b7c8d9e0f1a2b3c4d5e',
  price: '-0.03000',
  price_unit: 'USD',
  queue_time: '0',
  trunk_sid: null,
  uri: `/2010-04-01/Accounts/${SID}/Calls/${String(fields.sid)}.json`,
  ...fields,
});
const parent = call({
  sid: inbound.PARENT_SID,
  to: '+74993334455',
  status: 'completed',
  direction: 'inbound',
  duration: '190',
  start_time: 'Fri, 20 Nov 2026 07:00:05 +0000',
  end_time: 'Fri, 20 Nov 2026 07:03:15 +0000',
});
const bob = call({
  sid: inbound.BOB_SID,
  parent_call_sid: inbound.PARENT_SID,
  to: 'client:bob',
  status: 'no-answer',
  direction: 'outbound-dial',
  duration: '0',
  start_time: 'Fri, 20 Nov 2026 07:00:05 +0000',
  end_time: 'Fri, 20 Nov 2026 07:00:10 +0000',
});
const alice = call({
  sid: inbound.ALICE_SID,
  parent_call_sid: inbound.PARENT_SID,
  to: 'client:alice',
  status: 'completed',
  direction: 'outbound-dial',
  duration: '60',
  start_time: 'Fri, 20 Nov 2026 07:00:10 +0000',
  end_time: 'Fri, 20 Nov 2026 07:01:10 +0000',
});
const sip = call({
  sid: inbound.SIP_SID,
  parent_call_sid: inbound.PARENT_SID,
  to: 'sip:102@acme.sip.twilio.com',
  status: 'completed',
  direction: 'outbound-dial',
  duration: '120',
  start_time: 'Fri, 20 Nov 2026 07:01:15 +0000',
  end_time: 'Fri, 20 Nov 2026 07:03:15 +0000',
});

interface Seen {
  url: URL;
  authorization: string | null;
}

/** The Calls list, answered in pages linked by next_page_uri, as Twilio documents it. */
function callsList(pages: unknown[][], options: { tokens?: string[] } = {}) {
  const seen: Seen[] = [];
  const accepted = (options.tokens ?? [TOKEN]).map((t) => `Basic ${Buffer.from(`${SID}:${t}`).toString('base64')}`);
  server.use(
    rest.get(ENDPOINT, ({ request }) => {
      const url = new URL(request.url);
      seen.push({ url, authorization: request.headers.get('authorization') });
      if (!accepted.includes(request.headers.get('authorization') ?? '')) {
        return HttpResponse.json({ code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 }, { status: 401 });
      }
      const n = Number(url.searchParams.get('Page') ?? 0);
      const next =
        n + 1 < pages.length
          ? `/2010-04-01/Accounts/${SID}/Calls.json?${url.searchParams.toString().replace(/&Page=\d+&PageToken=\w+/, '')}&Page=${n + 1}&PageToken=PA${n + 1}`
          : null;
      return HttpResponse.json({
        calls: pages[n] ?? [],
        end: 0,
        first_page_uri: '',
        next_page_uri: next,
        page: n,
        page_size: 1000,
        previous_page_uri: null,
        start: 0,
        uri: url.pathname,
      });
    }),
  );
  return seen;
}

const window = { from: new Date('2026-11-19T21:00:00Z'), to: new Date('2026-11-20T21:00:00Z') };
const pull = (options: Parameters<typeof twilioPull>[0] = {}) => twilioPull({ accountSid: SID, ...options });

describe('the Twilio pull', () => {
  it('lists the calls of the dates around the window, with basic auth, following next_page_uri', async () => {
    const seen = callsList([
      [parent, bob],
      [alice, sip],
    ]);
    const pages = await collect(pull().pull(window, deps().deps));
    expect(seen).toHaveLength(2);
    expect(seen.every((s) => s.authorization === `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`)).toBe(true);
    expect(Object.fromEntries(seen[0]?.url.searchParams ?? [])).toEqual({ 'StartTime>': '2026-11-19', 'StartTime<': '2026-11-22', PageSize: '1000' });
    expect(seen[1]?.url.searchParams.get('PageToken')).toBe('PA1');
    // One call, its four legs in one page.
    expect(pages.map((p) => p.length)).toEqual([4]);
  });

  it('makes the status callbacks Twilio would have posted: the same legs as the webhooks', async () => {
    callsList([[sip, alice, bob, parent]]);
    const inputs = (await collect(pull().pull(window, deps().deps))).flat();
    const ctx = { ...defaultParseContext(), sources };
    const fromWebhooks = [inbound.sipCompleted, inbound.aliceCompleted, inbound.bobNoAnswer, inbound.parentCompleted].flatMap((p) =>
      twilioParser.parse(new URLSearchParams(p).toString(), { callback: 'status' }, ctx),
    );
    // The live moments of the webhooks aside: a call read back from the list is long over.
    expect(inputs.flatMap((i) => i.events)).toEqual(fromWebhooks.filter((e) => e.kind !== 'live'));
    expect(inputs.map((i) => [i.meta, i.dedupeKey])).toEqual([
      [{ callback: 'status', origin: 'calls-list' }, `calls-list:${inbound.SIP_SID}:completed`],
      [{ callback: 'status', origin: 'calls-list' }, `calls-list:${inbound.ALICE_SID}:completed`],
      [{ callback: 'status', origin: 'calls-list' }, `calls-list:${inbound.BOB_SID}:no-answer`],
      [{ callback: 'status', origin: 'calls-list' }, `calls-list:${inbound.PARENT_SID}:completed`],
    ]);
    expect(Object.fromEntries(new URLSearchParams(inputs[3]?.raw))).toEqual({
      AccountSid: SID,
      ApiVersion: '2010-04-01',
      CallSid: inbound.PARENT_SID,
      From: '+74951234567',
      To: '+74993334455',
      Direction: 'inbound',
      CallStatus: 'completed',
      CallDuration: '190',
      Timestamp: 'Fri, 20 Nov 2026 07:03:15 +0000',
    });
    // Twilio's callbacks carry CallDuration on completed calls only.
    expect(new URLSearchParams(inputs[2]?.raw).has('CallDuration')).toBe(false);
    const final = inputs.flatMap((i) => i.events).find((e) => e.kind === 'leg' && e.final);
    expect(final).toMatchObject({ callKey: inbound.PARENT_SID, direction: 'inbound', from: '+74951234567' });
  });

  it('pulls a Calls API call as answered with its duration, and a voicemail answer as not reached', async () => {
    const placed = (sid: string, answeredBy: string | null) =>
      call({
        sid,
        from: '+74993334455',
        to: '+79161234567',
        status: 'completed',
        direction: 'outbound-api',
        duration: '42',
        answered_by: answeredBy,
        start_time: 'Fri, 20 Nov 2026 10:00:00 +0000',
        end_time: 'Fri, 20 Nov 2026 10:00:42 +0000',
      });
    const person = 'CA5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a09';
    const machine = 'CA6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a';
    callsList([[placed(person, null), placed(machine, 'machine_end_beep')]]);
    const events = (await collect(pull().pull(window, deps().deps))).flat().flatMap((i) => i.events);
    expect(events).toMatchObject([
      { callKey: person, direction: 'outbound', to: '+79161234567', disposition: 'answered', talkSeconds: 42, final: true },
      { callKey: machine, direction: 'outbound', disposition: 'no_answer', talkSeconds: null, final: true },
    ]);
  });

  it('takes a call whose parent started in the window, late legs included; not one that started before it or is still going', async () => {
    const lateParent = { ...parent, start_time: 'Fri, 20 Nov 2026 20:59:58 +0000', end_time: 'Fri, 20 Nov 2026 21:10:00 +0000' };
    const lateLeg = { ...sip, start_time: 'Fri, 20 Nov 2026 21:05:00 +0000', end_time: 'Fri, 20 Nov 2026 21:10:00 +0000' };
    const EARLY = 'CA9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b';
    const early = { ...parent, sid: EARLY, start_time: 'Thu, 19 Nov 2026 20:59:00 +0000', end_time: 'Thu, 19 Nov 2026 21:01:00 +0000' };
    const orphan = { ...bob, sid: 'CA0000000000000000000000000000000a', parent_call_sid: 'CA000000000000000000000000000000ff' };
    const GOING = 'CAaaaabbbbccccddddeeeeffff00001111';
    const going = { ...parent, sid: GOING, status: 'in-progress', end_time: null, duration: null };
    const ringing = { ...alice, status: 'ringing', sid: 'CA1111222233334444555566667777aaaa' };
    callsList([[lateParent, lateLeg, early, orphan, going, ringing]]);
    const { deps: d, log } = deps();
    const inputs = (await collect(pull().pull(window, d))).flat();
    expect(inputs.map((i) => new URLSearchParams(i.raw).get('CallSid'))).toEqual([inbound.PARENT_SID, inbound.SIP_SID]);
    expect(log.lines.join('\n')).toMatch(/a Twilio call of the window has not ended; left out/);
  });

  it('keeps each call whole when it cuts the result into pages', async () => {
    const calls = Array.from({ length: 5 }, (_, i) => {
      const p = `CA${String(i).padStart(32, 'c')}`;
      return [
        { ...parent, sid: p },
        { ...alice, sid: `CA${String(i).padStart(32, 'a')}`, parent_call_sid: p },
        { ...sip, sid: `CA${String(i).padStart(32, 'b')}`, parent_call_sid: p },
      ];
    });
    callsList([calls.flat()]);
    const pages = await collect(pull({ pageSize: 4 }).pull(window, deps().deps));
    expect(pages.map((p) => p.length)).toEqual([6, 6, 3]);
    for (const page of pages) {
      const keys = page.flatMap((i) => i.events.map(callKeyOf));
      for (const key of new Set(keys)) expect(keys.filter((k) => k === key)).toHaveLength(3);
    }
  });

  it('tries the secondary token when the primary is refused (a rotation)', async () => {
    const seen = callsList([[parent]], { tokens: ['new-token-0123456789abcdef01234567'] });
    const pages = await collect(pull().pull(window, deps({ TWILIO_AUTH_TOKEN: `${TOKEN},new-token-0123456789abcdef01234567` }).deps));
    expect(seen).toHaveLength(2);
    expect(pages.flat()).toHaveLength(1);
  });

  it.each([
    [
      401,
      { code: 20003, message: 'Authenticate', status: 401 },
      /page 1 of Twilio's Calls list \(2026-11-19 – 2026-11-22\): Twilio answered HTTP 401 \(check TWILIO_AUTH_TOKEN and the account SID\): Authenticate/,
    ],
    [404, { code: 20404, message: 'The requested resource was not found', status: 404 }, /HTTP 404: The requested resource was not found/],
    [503, 'Service Unavailable', /HTTP 503: Service Unavailable/],
  ])('fails clearly on HTTP %i, without the token', async (status, body, message) => {
    server.use(rest.get(ENDPOINT, () => vendorAnswer(body, status)));
    const error = await failureOf(pull().pull(window, deps().deps));
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(TOKEN);
  });

  it('retries a rate-limited page (429) with growing waits, then gives up', async () => {
    let n = 0;
    server.use(
      rest.get(ENDPOINT, () =>
        ++n < 3
          ? HttpResponse.json({ code: 20429, message: 'Too Many Requests' }, { status: 429 })
          : HttpResponse.json({ calls: [parent], next_page_uri: null }),
      ),
    );
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    expect((await collect(pull({ calls: { sleep } }).pull(window, deps().deps))).flat()).toHaveLength(1);
    expect(waits).toEqual([1000, 2000]);

    server.use(rest.get(ENDPOINT, () => HttpResponse.json({ code: 20429, message: 'Too Many Requests' }, { status: 429 })));
    await expect(collect(pull({ calls: { sleep, maxRateLimited: 1 } }).pull(window, deps().deps))).rejects.toThrow(/HTTP 429: Too Many Requests/);
  });

  it('does not follow a next_page_uri that leaves the account', async () => {
    server.use(rest.get(ENDPOINT, () => HttpResponse.json({ calls: [], next_page_uri: 'https://evil.example/steal' })));
    await expect(collect(pull().pull(window, deps().deps))).rejects.toThrow(/next_page_uri is not a Calls page of this account/);
  });

  it('is enabled by TWILIO_AUTH_TOKEN; a malformed account SID is refused at once', () => {
    expect(pull().enabled(deps().deps)).toBe(true);
    expect(pull().enabled(deps({}).deps)).toBe(false);
    expect(() => twilioPull({ accountSid: 'AC123' })).toThrow(/accountSid must be AC followed by 32 hex digits/);
  });
});
