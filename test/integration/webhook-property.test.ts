/**
 * Property, for every source's webhook route through the real app, on PGlite and on PostgreSQL:
 * any body — the sources' own samples with a field replaced by anything, any bytes, any form of
 * arbitrary names and byte values — correctly signed here (node:crypto, from each vendor's
 * description, over the exact bytes posted) is answered 2xx and applied, its inbox row processed
 * and replaying it succeeding again, or 4xx with the error envelope and nothing stored. Never a
 * 500, never a stored body that fails. (FreePBX has no webhook: its rows come through the poller,
 * covered by the parser property and the admission tests.)
 */
import { createHash, createHmac } from 'node:crypto';
import { eq, gt, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inboxEvents } from '../../src/db/schema';
import { inboxDeps } from '../../src/deps';
import { reprocessInbox } from '../../src/ledger/inbox';
import aLeg from '../../src/pbx/freeswitch/fixtures/a-leg-inbound-recorded.json';
import { EVENTS } from '../../src/pbx/zadarma/schema';
import { harness, SECRET, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { near } from '#test/pbx-arbitraries';

const testDb = useTestDb();
const RUNS = 50;

const ASTERISK = 'asterisk-secret-0123456789';
const FREESWITCH = 'fs-cdr:S3cr3t-0123456789';
const ZADARMA = { key: 'a248a6a984459935b569', secret: '8a8e91d214fb728889c7' };
const TWILIO = '9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c';
const PUBLIC_URL = 'https://Calltrail.example';
const YEASTAR = 'yeastar-secret-0123456789';
const MANGO = { key: 'wu8zgl7mlbpycmdbn8qq7vmcqyq5bcw3', salt: 'lsy4dpvqjm5tql3dk4kfz2fqrcmkqsjh' };

const app = () =>
  harness(testDb(), {
    env: {
      ASTERISK_WEBHOOK_SECRET: ASTERISK,
      FREESWITCH_BASIC_AUTH: FREESWITCH,
      ZADARMA_API_KEY: ZADARMA.key,
      ZADARMA_API_SECRET: ZADARMA.secret,
      TWILIO_AUTH_TOKEN: TWILIO,
      PUBLIC_URL,
      YEASTAR_WEBHOOK_SECRET: YEASTAR,
      MANGO_API_KEY: MANGO.key,
      MANGO_API_SALT: MANGO.salt,
    },
  });

interface Post {
  path: string;
  body: Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
}

const enc = (text: string) => new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
const escaped = (data: Uint8Array) => [...data].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const anyBytes = fc.uint8Array({ maxLength: 300 }) as fc.Arbitrary<Uint8Array<ArrayBuffer>>;
/** A form of arbitrary names (from the source's own and any) and arbitrary byte values. */
const byteForm = (names: string[]) =>
  fc.array(fc.tuple(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 })), fc.uint8Array({ maxLength: 30 })), { maxLength: 10 });

const t = (h: Harness) => Math.floor(h.clock.now.getTime() / 1000);
const calltrailSigned = (secret: string, h: Harness, body: Uint8Array) =>
  `t=${t(h)},v1=${createHmac('sha256', secret)
    .update(`${t(h)}.`)
    .update(body)
    .digest('hex')}`;

const requests: Record<string, (h: Harness) => fc.Arbitrary<Post>> = {
  generic: (h) =>
    fc
      .oneof(
        near.generic.map(enc),
        anyBytes,
        fc.jsonValue().map((v) => enc(JSON.stringify(v) ?? 'null')),
      )
      .map((body) => ({
        path: '/v1/pbx/generic/events',
        body,
        headers: { 'content-type': 'application/json', 'x-calltrail-signature': calltrailSigned(SECRET, h, body) },
      })),
  asterisk: (h) =>
    fc
      .oneof(
        near.asterisk.map((b) => ({ body: enc(b.text), type: b.type })),
        fc.record({ body: anyBytes, type: fc.constantFrom('text/csv', 'application/json') }),
      )
      .map(({ body, type }) => ({
        path: '/v1/pbx/asterisk/cdr',
        body,
        headers: { 'content-type': type, 'x-calltrail-signature': calltrailSigned(ASTERISK, h, body) },
      })),
  freeswitch: () =>
    fc
      .tuple(
        fc.oneof(
          near.freeswitch.map((b) => ({ body: enc(b.text), type: b.type })),
          fc.record({ body: anyBytes, type: fc.constantFrom('application/json', 'application/x-www-form-urlencoded') }),
        ),
        fc.oneof(fc.constant(aLeg.variables.uuid), fc.string({ maxLength: 40 })),
      )
      .map(([{ body, type }, uuid]) => ({
        path: `/v1/pbx/freeswitch?uuid=${encodeURIComponent(uuid)}`,
        body,
        headers: { 'content-type': type, authorization: `Basic ${Buffer.from(FREESWITCH).toString('base64')}` },
      })),
  zadarma: () =>
    fc
      .oneof(
        near.zadarma.map((fields) => Object.entries(fields).map(([k, v]): [string, Uint8Array] => [k, enc(v)])),
        fc
          .tuple(
            fc.constantFrom(...EVENTS),
            byteForm(['pbx_call_id', 'caller_id', 'called_did', 'call_start', 'internal', 'destination', 'duration', 'disposition', 'call_id_with_rec']),
          )
          .map(([event, rest]): [string, Uint8Array][] => [['event', enc(event)], ...rest]),
      )
      .map((pairs) => {
        // Zadarma's scheme, from its documentation: the event's signed fields, concatenated.
        const first = (name: string) => pairs.find(([n]) => n === name)?.[1];
        const signed: Record<string, string[]> = {
          NOTIFY_ANSWER: ['caller_id', 'destination', 'call_start'],
          NOTIFY_OUT_START: ['internal', 'destination', 'call_start'],
          NOTIFY_OUT_END: ['internal', 'destination', 'call_start'],
          NOTIFY_RECORD: ['pbx_call_id', 'call_id_with_rec'],
        };
        const event = Buffer.from(first('event') ?? []).toString();
        const mac = createHmac('sha1', ZADARMA.secret);
        for (const f of signed[event] ?? ['caller_id', 'called_did', 'call_start']) mac.update(first(f) ?? new Uint8Array());
        const body = enc(pairs.map(([n, v]) => `${encodeURIComponent(n)}=${escaped(v)}`).join('&'));
        return {
          path: '/v1/pbx/zadarma',
          body,
          headers: { 'content-type': 'application/x-www-form-urlencoded', signature: Buffer.from(mac.digest('hex')).toString('base64') },
        };
      }),
  twilio: () =>
    fc
      .oneof(
        near.twilio.map(([callback, fields]) => ({ callback, pairs: Object.entries(fields).map(([k, v]): [string, Uint8Array] => [k, enc(v)]) })),
        fc.record({
          callback: fc.constantFrom('status', 'recording'),
          pairs: byteForm([
            'CallSid',
            'ParentCallSid',
            'CallStatus',
            'From',
            'To',
            'Direction',
            'CallDuration',
            'Timestamp',
            'RecordingSid',
            'RecordingUrl',
            'RecordingStatus',
          ]),
        }),
      )
      .map(({ callback, pairs }) => {
        // Twilio's scheme: the URL as configured, then each name and its values (distinct, sorted), names sorted.
        const path = `/v1/pbx/twilio/${callback}`;
        const byName = new Map<string, Set<string>>();
        for (const [n, v] of pairs) byName.set(n, (byName.get(n) ?? new Set()).add(Buffer.from(v).toString('latin1')));
        const mac = createHmac('sha1', TWILIO).update(PUBLIC_URL + path);
        for (const name of [...byName.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
          for (const value of [...(byName.get(name) ?? [])].sort()) mac.update(name).update(Buffer.from(value, 'latin1'));
        }
        const body = enc(pairs.map(([n, v]) => `${encodeURIComponent(n)}=${escaped(v)}`).join('&'));
        return { path, body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': mac.digest('base64') } };
      }),
  yeastar: () =>
    fc.oneof(near.yeastar.map(enc), anyBytes).map((body) => ({
      path: '/v1/pbx/yeastar',
      body,
      headers: { 'content-type': 'application/json', 'x-signature': createHmac('sha256', YEASTAR).update(body).digest('base64') },
    })),
  mango: () =>
    fc
      .oneof(
        near.mango.map(({ kind, json }) => ({ kind, json: enc(json) })),
        fc.record({ kind: fc.constantFrom('call', 'summary', 'recording'), json: anyBytes }),
      )
      .map(({ kind, json }) => {
        const sign = createHash('sha256').update(MANGO.key).update(json).update(MANGO.salt).digest('hex');
        const body = enc(`vpbx_api_key=${MANGO.key}&sign=${sign}&json=${escaped(json)}`);
        return { path: `/v1/pbx/mango/events/${kind}`, body, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
      }),
};

async function lastId(h: Harness): Promise<number> {
  const [row] = await h.deps.db.select({ id: sql<number>`coalesce(max(${inboxEvents.id}), 0)` }).from(inboxEvents);
  return Number(row?.id ?? 0);
}

/** Bytes as ASCII, anything else as \xNN, so a failing body can be read and replayed. */
const printable = (data: Uint8Array) =>
  [...data].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');

/** One signed request: 2xx and applied (and replayable), or 4xx with the envelope and nothing stored. */
async function answersWell(h: Harness, post: Post): Promise<void> {
  const before = await lastId(h);
  // A copy is sent: the request may take over its buffer, and fast-check replays a failing case while shrinking it.
  const res = await h.app.request(post.path, { method: 'POST', body: post.body.slice(), headers: post.headers });
  const answer = await res.text();
  const label = `${post.path} answered ${res.status} ${answer.slice(0, 300)} to "${printable(post.body.subarray(0, 400))}"`;
  expect(res.status, label).toBeLessThan(500);
  const stored = await h.deps.db.select().from(inboxEvents).where(gt(inboxEvents.id, before));
  if (res.status >= 400) {
    expect(res.status, label).toBe(400);
    expect(JSON.parse(answer).error, label).toMatchObject({ code: expect.any(String), message: expect.any(String), requestId: expect.any(String) });
    expect(stored, label).toEqual([]);
    return;
  }
  const deps = inboxDeps(h.deps);
  for (const row of stored) {
    expect({ status: row.status, error: row.error }, label).toEqual({ status: 'processed', error: null });
    // A replay of the stored body applies again.
    await h.deps.db.update(inboxEvents).set({ status: 'failed' }).where(eq(inboxEvents.id, row.id));
    expect(await reprocessInbox(deps, { ids: [row.id] }), label).toEqual({ processed: [row.id], failed: [] });
  }
}

describe.each(Object.keys(requests))('POST to the %s webhook, correctly signed (property)', (source) => {
  it('answers 2xx and applies, or 4xx with the envelope; never 500, never a stored body that fails', async () => {
    const h = app();
    const build = requests[source] as (h: Harness) => fc.Arbitrary<Post>;
    await fc.assert(
      fc.asyncProperty(build(h), (post) => answersWell(h, post)),
      { numRuns: RUNS },
    );
    expect(await h.deps.db.$count(inboxEvents, eq(inboxEvents.status, 'failed'))).toBe(0);
  });
});
