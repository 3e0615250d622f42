/**
 * The nightly reconciliation against the sandbox amoCRM, on PGlite and on PostgreSQL: notes
 * deleted in the CRM, notes duplicated, webhooks that never arrived and only the PBX pull
 * reveals, a delivery that gave up, a note without its recording link, an internal call, 200+
 * notes over several pages; the run's lease, its pause and resume, the API, the CSV, the alert
 * and the CLI.
 */
import { eq, sql } from 'drizzle-orm';
import { http as rest, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultIntegratorConfig, type IntegratorConfig } from '../../src/settings/integrator';
import { deliveries, reconcileCrmNotes, reconcileFindings, reconcileRuns } from '../../src/db/schema';
import { inboxDeps, type AppDeps } from '../../src/deps';
import { runTick } from '../../src/jobs';
import type { IngestInput } from '../../src/ledger/inbox';
import { genericParser } from '../../src/pbx/generic/parse';
import type { PbxPull } from '../../src/pbx/pull';
import { backgroundSlice, continueRun, runToEnd, startRun } from '../../src/reconcile/runs';
import { reconcileCommand } from '../../src/entry/node/reconcile-command';
import { startReconcileSchedule } from '../../src/entry/node/reconcile-schedule';
import { runtimeFetchFor } from '../../src/recordings/fetch/runtime-fetch';
import { MemoryStorage } from '../../src/recordings/storage/memory';
import { useTestDb } from '#test/db';
import { conversationUniq, deliveryHarness, type DeliveryHarness } from '#test/delivery';
import { callEnded } from '#test/events';
import { fileServer, toneWav, type FileServer } from '#test/pbx-files';

const ALERT_URL = 'https://hooks.example.test/services/T000/B000/calltrail';
const alerts: { text: string }[] = [];
const server = setupServer(
  rest.post(ALERT_URL, async ({ request }) => {
    alerts.push((await request.json()) as { text: string });
    return HttpResponse.text('ok');
  }),
);
let pbx: FileServer;
beforeAll(async () => {
  server.listen({ onUnhandledFrame: 'bypass' });
  pbx = await fileServer();
});
afterEach(() => {
  alerts.splice(0);
});
afterAll(async () => {
  server.close();
  await pbx?.close();
});

const testDb = useTestDb();
const uniq = (callId: string) => conversationUniq('generic', callId);
const IVAN = '+7 (495) 123-45-67';
const OLGA = '8 916 555 12 34';
/** The local day of the calls (callEnded's default start is 2026-11-20 10:00 Moscow). */
const DAY = '2026-11-20';
const owner = 'test-owner';

/** A finished call with no recording coming: it settles at once. */
const call = (callId: string, from = IVAN, over: Record<string, unknown> = {}) => callEnded({ call_id: callId, from, recorded: false, ...over });

/** A PBX that can be asked for its calls: it gives back the generic bodies it was told it sent. */
function pbxPull(bodies: Record<string, unknown>[]): PbxPull & { asked: number } {
  const pull = {
    source: 'generic',
    asked: 0,
    enabled: () => true,
    async *pull(_window: { from: Date; to: Date }, deps: AppDeps) {
      pull.asked++;
      const ctx = inboxDeps(deps).ctx.parse;
      const page: IngestInput[] = bodies.map((body) => {
        const raw = JSON.stringify(body);
        return { source: 'generic', raw, meta: { origin: 'test-pull' }, events: genericParser.parse(raw, {}, ctx) };
      });
      yield page;
    },
  };
  return pull;
}

function setup(options: { config?: Partial<IntegratorConfig>; pull?: PbxPull; recordings?: boolean } = {}) {
  const base = defaultIntegratorConfig();
  const config: Partial<IntegratorConfig> = {
    ...options.config,
    ...(options.recordings ? { recordings: { ...base.recordings, allowed_hosts: { generic: [pbx.host] }, allow_private_hosts: true } } : {}),
  };
  const h = deliveryHarness(testDb(), {
    config,
    ...(options.recordings ? { recordings: { storage: new MemoryStorage(), fetchFor: runtimeFetchFor } } : {}),
  });
  if (options.pull) h.deps.pbxPulls = [options.pull];
  h.deps.owner = owner;
  return h;
}

/** Ticks until the recordings pipeline is quiet, then drains deliveries. */
async function deliver(h: DeliveryHarness) {
  for (let i = 0; i < 4; i++) await runTick(h.deps);
  return h.drain();
}

/** The next morning, when the nightly run of DAY happens. */
function nextMorning(h: DeliveryHarness) {
  h.clock.now = new Date('2026-11-21T02:30:00+03:00');
}

async function reconcile(h: DeliveryHarness, date = DAY) {
  const { id } = await startRun(h.deps, { date }, 'manual');
  return runToEnd(h.deps, id, { owner, budgetMs: 60_000 });
}

async function findings(runId: string) {
  return testDb().db.select().from(reconcileFindings).where(eq(reconcileFindings.runId, runId)).orderBy(reconcileFindings.id);
}

describe('a night with every kind of gap', () => {
  it('finds each gap, repairs what can be repaired, lists the rest, and leaves every call once on the CRM', async () => {
    const lost = call('lost-1', OLGA, {
      started_at: '2026-11-20T15:00:00+03:00',
      answered_at: '2026-11-20T15:00:03+03:00',
      ended_at: '2026-11-20T15:01:03+03:00',
    });
    const pull = pbxPull([call('ok-1'), lost]);
    const h = setup({ pull, recordings: true, config: { reconcile: { ...defaultIntegratorConfig().reconcile, alert_webhook_url: ALERT_URL } } });
    pbx.put('/rec/link-1.wav', toneWav(3));

    for (const id of ['ok-1', 'ok-2', 'deleted-1', 'dup-1', 'failed-1']) await h.post(call(id));
    await h.post(callEnded({ call_id: 'link-1', from: IVAN, recording: { id: 'link-1-r', url: pbx.url('/rec/link-1.wav') } }));
    await h.post(call('internal-1', '101', { direction: 'internal', to: '102', extension: '101' }));
    // failed-1 gave up before reaching the CRM (as after ten failed attempts).
    await runTick(h.deps);
    await testDb()
      .db.update(deliveries)
      .set({ state: 'failed', reason: 'gave up after 10 attempts: unavailable (503)', attempts: 10 })
      .where(eq(deliveries.uniq, uniq('failed-1')));
    expect(await deliver(h)).toMatchObject({ delivered: 5, failed: 0 });

    // In the CRM: a note deleted by someone, a note entered twice, a note that lost its link.
    const store = h.sandbox.store;
    const [deleted] = store.notesByUniq(uniq('deleted-1'));
    store.deleteNote(deleted!.entity_type, deleted!.id);
    const [original] = store.notesByUniq(uniq('dup-1'));
    const { id: _id, account_id: _account, entity_type: type, ...fields } = original!;
    const copy = store.addNote(type, { ...fields, params: { ...fields.params } });
    const [linked] = store.notesByUniq(uniq('link-1'));
    expect(linked!.params.link).toMatch(/^http/);
    delete store.notesOf(linked!.entity_type).get(linked!.id)!.params.link;

    nextMorning(h);
    const run = await reconcile(h);
    expect(run).toMatchObject({ status: 'done', gapsRemaining: 0, error: null });
    expect(run.counts).toMatchObject({
      missing_in_crm: 1,
      duplicate_in_crm: 1,
      missing_recording: 1,
      failed: 1,
      skipped: 1,
      lost_webhook: 1,
      repushed: 1,
      note_updated: 1,
      retried: 1,
      ingested: 1,
      listed: 2,
      resolved: 4,
    });
    expect(pull.asked).toBe(1);
    expect(run.calls).toBe(8);

    const byKind = Object.fromEntries((await findings(run.id)).map((f) => [f.kind, f]));
    expect(byKind.duplicate_in_crm!.detail).toEqual({
      notes: [original!, copy].map((n) => ({ note_id: String(n.id), entity_type: original!.entity_type, entity_id: String(n.entity_id) })),
    });
    expect(byKind.duplicate_in_crm!.resolved).toBe(false);
    expect(byKind.skipped!.detail).toEqual({ reason: expect.stringMatching(/internal/) });
    expect(byKind.lost_webhook!.detail).toEqual({ source: 'generic', call_key: 'lost-1' });
    expect(byKind.failed!.detail).toEqual({ reason: 'gave up after 10 attempts: unavailable (503)' });

    // The CRM now has every call once (the duplicate is listed, not deleted: amoCRM cannot).
    for (const id of ['ok-1', 'ok-2', 'deleted-1', 'failed-1', 'link-1', 'lost-1']) expect(store.notesByUniq(uniq(id)), id).toHaveLength(1);
    expect(store.notesByUniq(uniq('dup-1'))).toHaveLength(2);
    expect(store.notesByUniq(uniq('internal-1'))).toHaveLength(0);
    expect(store.notesByUniq(uniq('link-1'))[0]!.params.link).toMatch(/\/recordings\/.+\.mp3\?/);
    // The staged notes are gone with the run's end; no alert (no gap left).
    expect(await testDb().db.select().from(reconcileCrmNotes)).toEqual([]);
    expect(alerts).toEqual([]);

    // A second run the same morning finds only what cannot be repaired, and repeats nothing.
    const again = await reconcile(h);
    expect(again.counts).toEqual({ duplicate_in_crm: 1, skipped: 1, listed: 2 });
    expect(store.callNotes()).toHaveLength(8);
  });

  it('reports what stays open, and alerts once, when the CRM blocks the re-push', async () => {
    const h = setup({ config: { reconcile: { ...defaultIntegratorConfig().reconcile, alert_webhook_url: ALERT_URL } } });
    await h.post(call('gone-1'));
    await deliver(h);
    const [note] = h.sandbox.store.notesByUniq(uniq('gone-1'));
    h.sandbox.store.deleteNote(note!.entity_type, note!.id);
    nextMorning(h);
    // amoCRM lets the integration read, then blocks it: the re-push gets nginx's 403 page.
    const sandbox = h.deps.sandbox!;
    h.deps.sandbox = {
      fetch: (request) =>
        request.method === 'GET'
          ? sandbox.fetch(request)
          : new Response('<html><body>403 Forbidden</body></html>', { status: 403, headers: { 'content-type': 'text/html' } }),
    };
    const run = await reconcile(h);
    expect(run).toMatchObject({ status: 'done', gapsRemaining: 1, counts: { missing_in_crm: 1, repushed: 1 } });
    expect(run.counts.resolved).toBeUndefined();
    expect(h.sandbox.store.notesByUniq(uniq('gone-1'))).toHaveLength(0);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.text).toMatch(/1 gap\(s\) still open after re-push/);
    expect(alerts[0]!.text).toMatch(/missing_in_crm 1/);
    expect(alerts[0]!.text).toMatch(/The CRM connection is blocked/);
    expect(alerts[0]!.text).toContain(`/admin/runs/${run.id}`);
    expect(alerts[0]!.text).not.toMatch(/4951234567|1234567/);
    const [row] = await testDb().db.select().from(reconcileRuns).where(eq(reconcileRuns.id, run.id));
    expect(row!.alertedAt).toBeInstanceOf(Date);

    // The next run while the CRM is still blocked fails at once, and says why.
    const blocked = await reconcile(h);
    expect(blocked).toMatchObject({ status: 'failed', error: expect.stringMatching(/the CRM connection is blocked/) });
    expect(alerts).toHaveLength(2);
    expect(alerts[1]!.text).toMatch(/failed: the CRM connection is blocked/);
  });
});

describe('recordings referenced at the PBX (not archived here)', () => {
  it('puts the PBX link back on a note that lost it', async () => {
    const h = setup();
    await h.post(callEnded({ call_id: 'ref-1', from: IVAN, recording: { id: 'ref-1-r', url: 'https://pbx.example/ref-1.wav' } }));
    await h.post(call('ref-2'));
    await deliver(h);
    const [note] = h.sandbox.store.notesByUniq(uniq('ref-1'));
    expect(note!.params.link).toBe('https://pbx.example/ref-1.wav');
    delete h.sandbox.store.notesOf(note!.entity_type).get(note!.id)!.params.link;
    nextMorning(h);
    const run = await reconcile(h);
    // ref-2 has no recording: a note without a link is what it should have.
    expect(run).toMatchObject({ status: 'done', gapsRemaining: 0, counts: { missing_recording: 1, note_updated: 1, resolved: 1 } });
    expect(h.sandbox.store.notesByUniq(uniq('ref-1')).map((n) => n.params.link)).toEqual(['https://pbx.example/ref-1.wav']);
    expect(h.sandbox.store.notesByUniq(uniq('ref-2'))).toHaveLength(1);
  });
});

describe('200+ notes over several pages', () => {
  it('reads every page once: CRM requests = note pages, nothing found', async () => {
    const h = setup();
    const first = Date.parse('2026-11-20T09:00:00+03:00');
    const at = (ms: number) => new Date(ms).toISOString();
    // 257 calls with Ivan (notes on his contact), 43 with Olga (notes on her open lead).
    for (let i = 0; i < 300; i++) {
      const start = first + i * 120_000;
      await h.post(call(`many-${i}`, i % 7 ? IVAN : OLGA, { started_at: at(start), answered_at: at(start + 5000), ended_at: at(start + 65_000) }));
    }
    await runTick(h.deps);
    for (let i = 0; i < 10; i++) if ((await h.drain()).claimed === 0) break;
    expect(h.sandbox.store.callNotes()).toHaveLength(300);
    nextMorning(h);
    const before = h.sandbox.stats();
    const run = await reconcile(h);
    const after = h.sandbox.stats();
    expect(run).toMatchObject({ status: 'done', calls: 300, crmNotes: 300, gapsRemaining: 0 });
    expect(run.counts).toEqual({});
    // contacts: 2 pages (250 + 7); leads: 1 page; companies, customers: a 204 each — the minimum.
    expect(after.requests - before.requests).toBe(5);
    expect(after.byRoute['GET /api/v4/contacts/notes']! - (before.byRoute['GET /api/v4/contacts/notes'] ?? 0)).toBe(2);
    expect(run.crmRequests).toBe(5);
  });
});

describe('a run is time-boxed, resumable and never worked twice at once', () => {
  it('pauses when its slice is over and resumes from the page it reached', async () => {
    const h = setup();
    for (let i = 0; i < 3; i++) await h.post(call(`p-${i}`));
    await deliver(h);
    const [note] = h.sandbox.store.notesByUniq(uniq('p-1'));
    h.sandbox.store.deleteNote(note!.entity_type, note!.id);
    nextMorning(h);
    const { id } = await startRun(h.deps, { date: DAY }, 'manual');
    const before = h.sandbox.stats();
    // A zero-length budget: the slice ends at its first check, after one page.
    const first = await continueRun(h.deps, id, { owner, budgetMs: 0 });
    expect(first).toMatchObject({ status: 'paused', leaseOwner: null });
    const slices: string[] = [];
    const done = await runToEnd(h.deps, id, { owner, budgetMs: 0, onSlice: (r) => slices.push(r.status) });
    expect(slices.length).toBeGreaterThan(1);
    expect(done).toMatchObject({ status: 'done', gapsRemaining: 0, crmNotes: 2 });
    expect(done.counts).toMatchObject({ missing_in_crm: 1, repushed: 1, resolved: 1 });
    expect(h.sandbox.store.notesByUniq(uniq('p-1'))).toHaveLength(1);
    // Every note page read once over all the slices: contacts (1 page) + 3 × 204; and the run
    // counted every request it made, the re-push's included.
    const after = h.sandbox.stats();
    const listed = (route: string) => (after.byRoute[route] ?? 0) - (before.byRoute[route] ?? 0);
    for (const type of ['contacts', 'leads', 'companies', 'customers']) expect(listed(`GET /api/v4/${type}/notes`), type).toBe(1);
    expect(done.crmRequests).toBe(after.requests - before.requests);
  });

  it('a stopping process pauses the slice in hand at its next page instead of holding the stop', async () => {
    const h = setup();
    await h.post(call('s-1'));
    await deliver(h);
    nextMorning(h);
    // A slow CRM: every request takes 300 ms.
    const sandbox = h.deps.sandbox!;
    h.deps.sandbox = {
      fetch: async (request) => {
        await new Promise((r) => setTimeout(r, 300));
        return sandbox.fetch(request);
      },
    };
    const stopping = new AbortController();
    h.deps.stopping = stopping.signal;
    const { id } = await startRun(h.deps, { date: DAY }, 'manual');
    const slice = continueRun(h.deps, id, backgroundSlice(h.deps));
    await new Promise((r) => setTimeout(r, 100));
    const asked = Date.now();
    stopping.abort();
    const paused = await slice;
    expect(Date.now() - asked).toBeLessThan(1500);
    expect(paused).toMatchObject({ status: 'paused', leaseOwner: null, progress: { compared: false } });
    // The next process picks it up where it stopped.
    h.deps.stopping = undefined;
    expect(await runToEnd(h.deps, id, { owner, budgetMs: 60_000 })).toMatchObject({ status: 'done', gapsRemaining: 0 });
  });

  it('a second start of the same window joins the live run; another process cannot take its lease', async () => {
    const h = setup();
    await h.post(call('j-1'));
    await deliver(h);
    nextMorning(h);
    const a = await startRun(h.deps, { date: DAY }, 'manual');
    const b = await startRun(h.deps, { date: DAY }, 'nightly');
    expect(b).toMatchObject({ id: a.id, joined: true });
    await testDb()
      .db.update(reconcileRuns)
      .set({ leaseOwner: 'someone-else', leaseExpiresAt: new Date(Date.now() + 60_000) })
      .where(eq(reconcileRuns.id, a.id));
    const refused = await continueRun(h.deps, a.id, { owner, budgetMs: 60_000 });
    expect(refused).toMatchObject({ status: 'running', leaseOwner: 'someone-else', progress: { compared: false } });
    // Its holder died: once the lease runs out the run is picked up.
    await testDb()
      .db.update(reconcileRuns)
      .set({ leaseExpiresAt: new Date(Date.now() - 1000) })
      .where(eq(reconcileRuns.id, a.id));
    expect(await continueRun(h.deps, a.id, { owner, budgetMs: 60_000 })).toMatchObject({ status: 'done' });
    // Done: a new start makes a new run.
    expect((await startRun(h.deps, { date: DAY }, 'manual')).joined).toBe(false);
  });
});

describe('the API', () => {
  it('starts a run (202), lists it, shows it with findings, and gives them as CSV', async () => {
    const h = setup();
    const background: Promise<unknown>[] = [];
    h.deps.defer = (work) => void background.push(work);
    await h.post(call('api-1'));
    await h.post(call('api-2'));
    await deliver(h);
    const [note] = h.sandbox.store.notesByUniq(uniq('api-2'));
    h.sandbox.store.deleteNote(note!.entity_type, note!.id);
    nextMorning(h);

    const started = await h.admin('/v1/reconcile', { method: 'POST', body: JSON.stringify({ date: DAY }), headers: { 'content-type': 'application/json' } });
    expect(started.status).toBe(202);
    const { id, joined } = (await started.json()) as { id: string; joined: boolean };
    expect(joined).toBe(false);
    await Promise.all(background);

    const list = (await (await h.admin('/v1/reconcile/runs')).json()) as { items: { id: string; status: string }[] };
    expect(list.items).toEqual([expect.objectContaining({ id, status: 'done' })]);
    const one = (await (await h.admin(`/v1/reconcile/runs/${id}`)).json()) as Record<string, any>;
    expect(one).toMatchObject({
      id,
      window: { from: '2026-11-19T21:00:00.000Z', to: '2026-11-20T21:00:00.000Z' },
      status: 'done',
      counts: { missing_in_crm: 1, repushed: 1, resolved: 1 },
      calls: 2,
      gaps_remaining: 0,
      findings: [
        expect.objectContaining({
          kind: 'missing_in_crm',
          action: 'repushed',
          resolved: true,
          call_key: 'api-2',
          delivery_state: 'delivered',
          number: '+74951234567',
        }),
      ],
      next_cursor: null,
    });
    const csv = await h.admin(`/v1/reconcile/runs/${id}.csv`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="calltrail-reconcile-2026-11-20-/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^missing_in_crm,repushed,true,api-2,generic,2026-11-20T07:00:00.000Z,\+74951234567,101,inbound,answered,delivered,\{\}$/);
  });

  it('refuses bad requests with 400 and a message, unknown runs with 404, and anyone without the token with 401', async () => {
    const h = setup();
    const post = (body: unknown) => h.admin('/v1/reconcile', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const cases: [unknown, RegExp][] = [
      [{ date: '2026-13-01' }, /not a date/],
      [{ date: '20.11.2026' }, /YYYY-MM-DD/],
      [{ date: DAY, from: '2026-11-19T00:00:00Z', to: '2026-11-20T00:00:00Z' }, /either date or from\/to/],
      [{ from: '2026-11-19T00:00:00Z' }, /from and to go together/],
      [{ from: '2026-11-20T00:00:00Z', to: '2026-11-19T00:00:00Z' }, /from must be before to/],
      [{ from: '2026-09-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }, /at most 31 days/],
      [{ date: '2030-01-01' }, /not begun/],
      [{ days: 3 }, /days/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
    expect(await testDb().db.select().from(reconcileRuns)).toEqual([]);
    expect((await h.admin('/v1/reconcile/runs/6f1c3a52-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await h.admin('/v1/reconcile/runs/not-a-run')).status).toBe(400);
    expect((await h.app.request('/v1/reconcile/runs')).status).toBe(401);
    expect((await h.app.request('/v1/reconcile', { method: 'POST' })).status).toBe(401);
  });
});

describe('calltrail reconcile (CLI)', () => {
  it('prints the summary table and exits 0 when no gap remains, 1 when the run could not finish', async () => {
    const h = setup();
    await h.post(call('cli-1'));
    await deliver(h);
    nextMorning(h);
    const out: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => void out.push(String(chunk)) as never);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const withDeps = <T>(run: (deps: typeof h.deps) => Promise<T>) => run(h.deps);
      expect(await reconcileCommand(['--date', DAY], withDeps)).toBe(0);
      expect(out.join('')).toMatch(/missing_in_crm\s+0\s+re-pushed/);
      expect(out.join('')).toMatch(/gaps still open: 0/);

      // The CRM blocked us: the run cannot compare, and says so.
      await testDb().db.execute(sql`update crm_accounts set status = 'blocked', status_reason = 'test: blocked by amoCRM'`);
      out.splice(0);
      expect(await reconcileCommand(['--date', DAY], withDeps)).toBe(1);
      expect(out.join('')).toMatch(/failed: the CRM connection is blocked/);
      await expect(reconcileCommand(['--date', 'yesterday'], withDeps)).rejects.toThrow(/not a date/);
      await expect(reconcileCommand(['--since', DAY], withDeps)).rejects.toThrow(/since/);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });
});

describe('the schedule (Node)', () => {
  it('names the next nightly run in the configured time zone, and catches up on a night it missed', async () => {
    const h = setup();
    await h.post(call('night-1'));
    await deliver(h);
    const [note] = h.sandbox.store.notesByUniq(uniq('night-1'));
    h.sandbox.store.deleteNote(note!.entity_type, note!.id);
    // The service starts at 09:00 Moscow the next day: it was down at 02:30.
    h.clock.now = new Date('2026-11-21T09:00:00+03:00');
    const schedule = startReconcileSchedule(h.deps, owner, { resumeEveryMs: 20 });
    try {
      const next = schedule.nextRun();
      expect(next).toBeInstanceOf(Date);
      // croner counts from the real clock: the next 02:30 in Moscow is 23:30 UTC.
      expect(next!.toISOString()).toMatch(/T23:30:00\.000Z$/);
      let run;
      for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
        [run] = await testDb().db.select().from(reconcileRuns);
        if (run?.status === 'done') break;
      }
      expect(run).toMatchObject({ trigger: 'nightly', status: 'done', windowFrom: new Date('2026-11-19T21:00:00Z'), gapsRemaining: 0 });
      expect(run!.counts).toMatchObject({ missing_in_crm: 1, resolved: 1 });
      expect(h.sandbox.store.notesByUniq(uniq('night-1'))).toHaveLength(1);
      // One catch-up: the checks after it only resume live runs.
      await new Promise((r) => setTimeout(r, 200));
      expect(await testDb().db.select().from(reconcileRuns)).toHaveLength(1);
    } finally {
      await schedule.stop();
    }
  });

  it('does not catch up before the nightly time, nor when reconciliation is disabled', async () => {
    for (const [now, enabled] of [
      ['2026-11-21T02:00:00+03:00', true],
      ['2026-11-21T09:00:00+03:00', false],
    ] as const) {
      const h = setup({ config: { reconcile: { ...defaultIntegratorConfig().reconcile, enabled } } });
      h.clock.now = new Date(now);
      const schedule = startReconcileSchedule(h.deps, owner, { resumeEveryMs: 20 });
      await new Promise((r) => setTimeout(r, 300));
      expect(schedule.nextRun()).toEqual(enabled ? expect.any(Date) : null);
      await schedule.stop();
      expect(await testDb().db.select().from(reconcileRuns), now).toEqual([]);
    }
  });
});
