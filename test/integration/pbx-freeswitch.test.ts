/**
 * The FreeSWITCH source end to end through the HTTP app, on PGlite and on PostgreSQL:
 * mod_json_cdr's per-leg posts, in all three encodings, in any order and repeated, become one
 * conversation; requests without the right basic auth, malformed bodies and a disabled source
 * are refused.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { shuffled } from '#test/shuffle';
import { inboxEvents } from '../../src/db/schema';
import { runTick } from '../../src/jobs';
import aLeg from '../../src/pbx/freeswitch/fixtures/a-leg-inbound-recorded.json';
import b101 from '../../src/pbx/freeswitch/fixtures/b-leg-101-answered-then-transferred.json';
import b102 from '../../src/pbx/freeswitch/fixtures/b-leg-102-after-transfer.json';
import b103 from '../../src/pbx/freeswitch/fixtures/b-leg-103-lost-race.json';
import { sourcesConfigSchema } from '../../src/pbx/sources-config';
import { harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationByKey, counts, snapshot } from '#test/ledger';

const testDb = useTestDb();
const CREDENTIALS = 'fs-cdr:S3cr3t-0123456789';
const PATH = '/v1/pbx/freeswitch';
const A = aLeg.variables.uuid;
const RECORDING = `/var/lib/freeswitch/recordings/pbx.example.com/archive/2026/Nov/20/${A}.wav`;

type Encoding = 'form' | 'base64' | 'json';
type Cdr = { variables: { uuid: string } };

function freeswitch(env: Record<string, string> = {}): Harness {
  return harness(testDb(), {
    env: { FREESWITCH_BASIC_AUTH: CREDENTIALS, ...env },
    config: { sources: sourcesConfigSchema.parse({ freeswitch: { recording_url: 'https://pbx.example.com/recordings{path}' } }) },
  });
}

/** The body and content type mod_json_cdr sends for each of its "encode" settings. */
function encoded(cdr: unknown, encoding: Encoding): { body: string; contentType: string } {
  const json = JSON.stringify(cdr);
  if (encoding === 'json') return { body: json, contentType: 'application/json' };
  if (encoding === 'base64') return { body: `cdr=${Buffer.from(json, 'utf8').toString('base64')}`, contentType: 'application/x-www-form-base64-encoded' };
  return { body: `cdr=${encodeURIComponent(json)}`, contentType: 'application/x-www-form-urlencoded' };
}

async function post(h: Harness, cdr: Cdr | string, o: { encoding?: Encoding; auth?: string | null } = {}) {
  const { body, contentType } = typeof cdr === 'string' ? { body: cdr, contentType: 'application/x-www-form-urlencoded' } : encoded(cdr, o.encoding ?? 'form');
  const headers: Record<string, string> = { 'content-type': contentType };
  const auth = o.auth === undefined ? CREDENTIALS : o.auth;
  if (auth !== null) headers.authorization = `Basic ${Buffer.from(auth, 'utf8').toString('base64')}`;
  const uuid = typeof cdr === 'string' ? 'x' : cdr.variables.uuid;
  return h.app.request(`${PATH}?uuid=${uuid}`, { method: 'POST', body, headers });
}

/** In the order FreeSWITCH hangs them up: the lost ring, 101 after the transfer, then 102 and the caller. */
const legs: Cdr[] = [b103, b101, b102, aLeg];
const encodings: Encoding[] = ['form', 'base64', 'json'];

describe('freeswitch: one conversation from its legs', () => {
  it('assembles the ring group, the transfer and the A-leg recording into one call', async () => {
    const h = freeswitch();
    for (const [i, cdr] of legs.entries()) {
      h.clock.advance(1);
      expect((await post(h, cdr, { encoding: encodings[i % 3] })).status).toBe(202);
    }
    // Legs are posted in any order, so the A-leg cannot settle the call at once: SETTLE_SECONDS of quiet.
    expect(await conversationByKey(h.deps.db, A)).toMatchObject({ settledAt: null });
    h.clock.advance(30);
    await runTick(h.deps);
    const call = await conversationByKey(h.deps.db, A);
    expect(call).toMatchObject({ source: 'freeswitch', direction: 'inbound', externalNumber: '+74951234567', outcome: 'answered' });
    expect(call).toMatchObject({
      // The caller was connected from the first bridge to the end, the transfer's ringing included.
      talkSeconds: 185,
      durationSeconds: 190,
      extension: '102',
      legCount: 4,
      awaitingRecordings: false,
      finalSeenAt: expect.any(Date),
      settledAt: h.clock.now,
    });
    expect(call?.legs.find((l) => l.legKey === A)).toMatchObject({ final: true, recorded: null });
    expect(call?.legs.filter((l) => l.final)).toHaveLength(1);
    expect(call?.recordings).toMatchObject([
      { recordingKey: RECORDING, legKey: A, originUrl: `https://pbx.example.com/recordings${RECORDING}`, status: 'referenced' },
    ]);
    expect(call?.deliveries).toMatchObject([{ state: 'pending' }]);
    expect(h.log.lines.join('\n')).not.toMatch(/4951234567/);
  });

  it('gives the same ledger for the legs in any order and encoding, each repeated', async () => {
    const orders = [legs, [...legs].reverse(), shuffled(legs, 3), shuffled(legs, 17), shuffled(legs, 2026)];
    const snapshots = [];
    for (const [n, order] of orders.entries()) {
      await testDb().db.execute(sql`truncate inbox_events, conversations, legs, recordings, deliveries restart identity cascade`);
      const h = freeswitch();
      for (const [i, cdr] of [...order, ...shuffled(order, n + 1)].entries()) {
        h.clock.advance(1);
        expect((await post(h, cdr, { encoding: encodings[(i + n) % 3] })).status).toBe(202);
      }
      h.clock.advance(60);
      await runTick(h.deps);
      expect(await counts(h.deps.db)).toEqual({ inbox: 4, conversations: 1, legs: 4, recordings: 1, deliveries: 1 });
      snapshots.push(await snapshot(h.deps.db, ''));
    }
    expect(snapshots[0]).toMatchObject([{ externalNumber: '+74951234567', talkSeconds: 185, extension: '102', outcome: 'answered', settled: true }]);
    for (const s of snapshots.slice(1)) expect(s).toEqual(snapshots[0]);
  });

  it('a caller the IVR answered and nobody took is a missed call', async () => {
    const h = freeswitch();
    const ivrOnly = { ...aLeg, variables: { ...aLeg.variables, bridge_epoch: '0', bridge_uuid: undefined, last_bridge_to: undefined } };
    await post(h, ivrOnly as Cdr);
    expect(await conversationByKey(h.deps.db, A)).toMatchObject({ outcome: 'missed', talkSeconds: 0, externalNumber: '+74951234567' });
  });
});

describe('freeswitch: the inbox and what is refused', () => {
  it('stores the raw body with its content type before answering, and a retried leg once', async () => {
    const h = freeswitch();
    const { body } = encoded(b101, 'base64');
    expect((await post(h, b101, { encoding: 'base64' })).status).toBe(202);
    const [row] = await h.deps.db.select().from(inboxEvents);
    expect(row).toMatchObject({
      source: 'freeswitch',
      status: 'processed',
      raw: body,
      meta: { content_type: 'application/x-www-form-base64-encoded', uuid: b101.variables.uuid },
      dedupeKey: `leg:${b101.variables.uuid}`,
    });
    // mod_json_cdr retrying the same leg (here re-encoded by a replay tool): still one leg.
    const again = await post(h, b101, { encoding: 'json' });
    expect(((await again.json()) as { status: string }).status).toBe('duplicate');
    expect(await counts(h.deps.db)).toMatchObject({ inbox: 1, legs: 1 });
  });

  it.each([
    ['no credentials', { auth: null }, /missing Authorization/],
    ['a wrong password', { auth: 'fs-cdr:guess' }, /wrong user or password/],
  ])('401 for %s, and nothing stored', async (_name, options, message) => {
    const h = freeswitch();
    const res = await post(h, b101, options);
    expect(res.status).toBe(401);
    // A basic-auth client learns how to authenticate from the challenge.
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="calltrail"/);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'invalid_signature',
      message: expect.stringMatching(message),
    });
    expect(await counts(h.deps.db)).toMatchObject({ inbox: 0, conversations: 0 });
  });

  it('400 with the problem named, and nothing stored', async () => {
    const h = freeswitch();
    const res = await post(h, { variables: { uuid: 'x', start_epoch: '1795158000' } } as Cdr);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'invalid_body',
      message: 'variables.end_epoch: is required',
    });
    expect((await post(h, 'hello')).status).toBe(400);
    expect(await counts(h.deps.db)).toMatchObject({ inbox: 0 });
  });

  it('404 while FREESWITCH_BASIC_AUTH is unset', async () => {
    const h = freeswitch({ FREESWITCH_BASIC_AUTH: '' });
    const res = await post(h, b101);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/FREESWITCH_BASIC_AUTH/);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await (await freeswitch().app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain(PATH);
  });
});
