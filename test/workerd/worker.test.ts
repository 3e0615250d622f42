/**
 * The Workers build under workerd (wrangler dev), reaching the real PostgreSQL through the
 * Hyperdrive binding's local connection string and amoCRM — the sandbox, served by this test
 * process — over HTTP: signed events end to end through wrangler.toml's queues (the webhook
 * stores and queues, the consumer applies, then delivers), a ring's pop from waitUntil, the Cron
 * Trigger's scheduled handler settling due calls and delivering them, the nightly trigger
 * reconciling yesterday with the CRM, and a misconfiguration reported, not crashed on.
 * (queues.test.ts: the queues' retries and dead letters, the Durable Object across isolates.)
 */
import { serve, type ServerType } from '@hono/node-server';
import { desc, eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unstable_dev } from 'wrangler';
import { createAmoSandbox } from '../../src/sandbox';
import { appSecrets, conversations, inboxEvents, reconcileRuns } from '../../src/db/schema';
import { conversationUniq } from '../../src/ledger/versions';
import { mp3DurationMs, parseMp3 } from '../../src/recordings/audio/frames';
import { signatureHeader } from '../../src/pbx/generic/signature';
import { fileServer, toneWav, type FileServer } from '#test/pbx-files';
import { ADMIN_TOKEN, SECRET, TEST_SECRETS_KEYS } from '#test/app';
import { createTestDb, type TestDb } from '#test/db';
import { callEnded } from '#test/events';

type Worker = Awaited<ReturnType<typeof unstable_dev>>;

let db: TestDb;
let worker: Worker;
let server: ServerType;
let pbx: FileServer;
const TOKEN = 'workerd-test-long-lived-token';
const sandbox = createAmoSandbox({ seed: 'demo', longLivedTokens: [TOKEN], rps: 20 });

async function until<T>(check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function untilAsync<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startWorker(vars: Record<string, string>): Promise<Worker> {
  return unstable_dev('src/entry/worker.ts', {
    config: 'wrangler.toml',
    ip: '127.0.0.1',
    vars,
    logLevel: 'warn',
    persist: false,
    experimental: { testScheduled: true, disableExperimentalWarning: true, disableDevRegistry: true },
  });
}

beforeAll(async () => {
  db = await createTestDb();
  // wrangler insists on a password in the local connection string; trust auth ignores it.
  const url = new URL(db.url ?? '');
  url.password = 'workerd';
  process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = url.toString();
  server = await new Promise((resolve) => {
    const s = serve({ fetch: sandbox.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const address = server.address();
  const crm = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  // The PBX's recording server; the Worker archives what it serves into its (local) R2 bucket.
  pbx = await fileServer();
  pbx.put('/rec/wk-1.wav', toneWav(4));
  worker = await startWorker({
    GENERIC_WEBHOOK_SECRET: SECRET,
    ADMIN_TOKEN,
    SECRETS_KEYS: TEST_SECRETS_KEYS,
    // Longer than a body waits in the inbox queue (a batch is taken after 1 s): the call is applied unsettled.
    SETTLE_SECONDS: '4',
    AMOCRM_BASE_URL: crm,
    AMOCRM_LONG_LIVED_TOKEN: TOKEN,
    CONFIG: JSON.stringify({
      recordings: { allowed_hosts: { generic: [pbx.host] }, allow_private_hosts: true },
      extensions: { '205': 1001 },
      live: { lookup: { default_route: '100' } },
    }),
  });
});

afterAll(async () => {
  await worker?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await pbx?.close();
  await db?.close();
});

async function post(body: unknown, sign = true) {
  const raw = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (sign) headers['x-calltrail-signature'] = await signatureHeader(SECRET, raw, Date.now() / 1000);
  return worker.fetch('/v1/pbx/generic/events', { method: 'POST', body: raw, headers });
}

describe('calltrail under workerd', () => {
  it('answers /health from the database behind Hyperdrive', async () => {
    const res = await worker.fetch('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', db: 'ok', crm: 'ok', crm_kind: 'amocrm' });
  });

  it('stores a signed event and queues it; the consumers assemble it and deliver it to amoCRM', async () => {
    const now = Math.floor(Date.now() / 1000);
    const res = await post(
      callEnded({
        call_id: 'wk-1',
        started_at: now - 200,
        answered_at: now - 190,
        ended_at: now - 10,
        recording: { id: 'wk-r1', url: pbx.url('/rec/wk-1.wav') },
      }),
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'queued', events: 1 });
    const call = await untilAsync(() =>
      db.db.query.conversations.findFirst({
        where: eq(conversations.callKey, 'wk-1'),
        with: { legs: true, recordings: true, deliveries: true },
      }),
    );
    expect(call).toMatchObject({ externalNumber: '+74951234567', extension: '101', outcome: 'answered', talkSeconds: 180 });
    expect(call?.recordings).toHaveLength(1);
    expect(call?.deliveries).toMatchObject([{ crmAccountId: expect.stringMatching(/^amocrm:127\.0\.0\.1:/) }]);
    expect(await db.db.$count(inboxEvents, eq(inboxEvents.status, 'processed'))).toBeGreaterThanOrEqual(1);
    // The inbox consumer asked for delivery; the deliveries consumer puts the call on the CRM.
    const [note] = await until(() => {
      const notes = sandbox.store.notesByUniq(conversationUniq('generic', 'wk-1'));
      return notes.length ? notes : undefined;
    });
    expect(note).toMatchObject({ entity_type: 'contacts', params: { duration: 180 } });
    // The recording went into R2 as one MP3 before the note was written; the link is served from R2.
    const link = new URL(note?.params.link as string);
    expect(link.pathname).toMatch(/^\/recordings\/[0-9a-f-]{36}\.mp3$/);
    // The key that signed it was generated by the Worker and stored sealed with SECRETS_KEYS.
    expect((await db.db.select().from(appSecrets))[0]?.value).toMatch(/^v1:test:/);
    const ranged = await worker.fetch(`${link.pathname}${link.search}`, { headers: { range: 'bytes=0-99' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-type')).toBe('audio/mpeg');
    expect(ranged.headers.get('content-range')).toMatch(/^bytes 0-99\/\d+$/);
    expect((await ranged.arrayBuffer()).byteLength).toBe(100);
    const whole = await worker.fetch(`${link.pathname}${link.search}`);
    expect(whole.status).toBe(200);
    expect(Number(whole.headers.get('content-length'))).toBeGreaterThan(10_000);
    // The WAV was encoded on workerd by LAME's WebAssembly module: all 4 s of it, at its own rate.
    const mp3 = parseMp3(new Uint8Array(await whole.arrayBuffer()));
    expect(mp3).toMatchObject({ sampleRate: 8000, channelCount: 1, bitrate: 24 });
    expect(mp3DurationMs(mp3)).toBe(4000);
    expect((await worker.fetch(`${link.pathname}?k=db1&s=${'0'.repeat(64)}`)).status).toBe(404);
  });

  it('pops a ringing call in the CRM from waitUntil, and answers the PBX who is calling', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ring = { type: 'call.ringing', call_id: 'wk-ring', direction: 'inbound', from: '8 (916) 555-12-34', to: '74950000001', extensions: ['205'], at: now };
    expect((await post(ring)).status).toBe(202);
    const pop = await until(() => sandbox.store.phoneCallEvents().find((e) => e.phone_number === '+79165551234'));
    expect(pop.users).toEqual([1001]);
    const lookup = await worker.fetch('/v1/lookup?phone=89165551234', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(lookup.status).toBe(200);
    expect(await lookup.json()).toMatchObject({ contact: { name: 'Olga Smirnova' }, responsible: { user_id: '1001', extension: '205' }, route: '205' });
  });

  it('refuses an unsigned event with the envelope', async () => {
    const res = await post(callEnded({ call_id: 'wk-unsigned' }), false);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_signature', requestId: expect.any(String) } });
  });

  it('reads a body in Windows-1251 with the platform TextDecoder, its signature checked over the bytes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const text = JSON.stringify(callEnded({ call_id: 'wk-звонок', started_at: now - 60, answered_at: null, ended_at: now - 30, disposition: 'no_answer' }));
    // Windows-1251 puts А..я at 0xC0..0xFF; the rest of this body is ASCII.
    const body = Uint8Array.from(text, (c) => (c >= 'А' && c <= 'я' ? c.charCodeAt(0) - 0x350 : c.charCodeAt(0)));
    const headers = { 'content-type': 'application/json', 'x-calltrail-signature': await signatureHeader(SECRET, body, Date.now() / 1000) };
    const res = await worker.fetch('/v1/pbx/generic/events', { method: 'POST', body, headers });
    expect(res.status).toBe(202);
    expect(await untilAsync(() => db.db.query.conversations.findFirst({ where: eq(conversations.callKey, 'wk-звонок') }))).toMatchObject({ outcome: 'missed' });
  });

  it('settles due calls from the scheduled (Cron Trigger) handler and delivers them', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await post(callEnded({ call_id: 'wk-2', started_at: now - 100, answered_at: now - 90, ended_at: now - 5 }))).status).toBe(202);
    const waiting = await untilAsync(() => db.db.query.conversations.findFirst({ where: eq(conversations.callKey, 'wk-2') }));
    expect(waiting).toMatchObject({ awaitingRecordings: true, settledAt: null });

    await new Promise((r) => setTimeout(r, 4200)); // SETTLE_SECONDS=4
    const tick = await worker.fetch('/__scheduled?cron=*+*+*+*+*');
    expect(tick.status).toBe(200);
    const settled = await db.db.query.conversations.findFirst({ where: eq(conversations.callKey, 'wk-2'), with: { deliveries: true } });
    expect(settled?.settledAt).toBeInstanceOf(Date);
    expect(settled?.deliveries).toMatchObject([{ state: 'delivered' }]);
    expect(sandbox.store.notesByUniq(conversationUniq('generic', 'wk-2'))).toHaveLength(1);
  });

  it('runs the nightly reconciliation from its Cron Trigger: a note deleted in the CRM is found and re-pushed', async () => {
    // A call of yesterday (Moscow, the default time zone), delivered by the minute's trigger.
    const yesterdayNoon = DateTime.now().setZone('Europe/Moscow').minus({ days: 1 }).set({ hour: 12, minute: 0, second: 0, millisecond: 0 });
    const at = (seconds: number) => Math.floor(yesterdayNoon.toSeconds()) + seconds;
    const body = callEnded({ call_id: 'wk-night', started_at: at(0), answered_at: at(5), ended_at: at(65), recorded: false });
    expect((await post(body)).status).toBe(202);
    expect((await worker.fetch('/__scheduled?cron=*+*+*+*+*')).status).toBe(200);
    const uniq = conversationUniq('generic', 'wk-night');
    const [note] = await until(() => {
      const notes = sandbox.store.notesByUniq(uniq);
      return notes.length ? notes : undefined;
    });
    sandbox.store.deleteNote(note!.entity_type, note!.id);

    const nightly = await worker.fetch('/__scheduled?cron=30+23+*+*+*');
    expect(nightly.status).toBe(200);
    const [run] = await db.db.select().from(reconcileRuns).where(eq(reconcileRuns.trigger, 'nightly')).orderBy(desc(reconcileRuns.startedAt)).limit(1);
    expect(run).toMatchObject({
      status: 'done',
      windowFrom: yesterdayNoon.startOf('day').toJSDate(),
      gapsRemaining: 0,
      counts: expect.objectContaining({ missing_in_crm: 1, repushed: 1, resolved: 1 }),
    });
    expect(run!.crmRequests).toBeGreaterThanOrEqual(5);
    expect(sandbox.store.notesByUniq(uniq)).toHaveLength(1);
    // The run is readable through the admin API of the same Worker.
    const res = await worker.fetch(`/v1/reconcile/runs/${run!.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(await res.json()).toMatchObject({
      id: run!.id,
      findings: [expect.objectContaining({ kind: 'missing_in_crm', call_key: 'wk-night', resolved: true })],
    });
  });

  it('serves the OpenAPI document and the admin API', async () => {
    expect(((await (await worker.fetch('/openapi.json')).json()) as { paths: object }).paths).toHaveProperty(['/v1/pbx/generic/events']);
    // /docs renders the descriptions' Markdown on workerd too.
    expect(await (await worker.fetch('/docs')).text()).toContain('<code>/recordings/&lt;id&gt;.mp3</code>');
    const res = await worker.fetch('/v1/calls?phone=84951234567', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(2);
  });

  it('reports a malformed variable by name instead of crashing', async () => {
    const broken = await startWorker({ SETTLE_SECONDS: 'soon' });
    try {
      const res = await broken.fetch('/health');
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({
        error: { code: 'misconfigured', message: expect.stringContaining('SETTLE_SECONDS: expected seconds') },
      });
    } finally {
      await broken.stop();
    }
  });
});
