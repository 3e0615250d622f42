/**
 * Calls through the generic REST adapter into the fake REST CRM, on PGlite and on PostgreSQL:
 * the webhook, the ledger, the delivery worker and the nightly reconciliation, with the CRM
 * described only by the config's crm.generic.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/settings/env';
import { parseIntegratorConfig } from '../../src/settings/integrator';
import { withConfiguredCrm } from '../../src/settings/crm-account';
import { deliveries } from '../../src/db/schema';
import { createDeliveryWorker } from '../../src/delivery/setup';
import { runTick } from '../../src/jobs';
import { runToEnd, startRun } from '../../src/reconcile/runs';
import { ADMIN_TOKEN, harness, SECRET } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationUniq } from '#test/delivery';
import { callEnded, recordingReady } from '#test/events';
import { createFakeRestCrm, fakeCrmConfig, type FakeCrmOptions } from '#test/fake-rest-crm';

const testDb = useTestDb();
const uniq = (callId: string) => conversationUniq('generic', callId);
const IVAN = '+7 (495) 123-45-67';
const NOBODY = '+7 (999) 000-11-22';
const CRM = 'https://crm.example';
const RECORDING_BYTES = new Uint8Array(2048);

/** A finished call that has no recording coming, so it settles at once. */
const call = (callId: string, from = IVAN, over: Record<string, unknown> = {}) => callEnded({ call_id: callId, from, recorded: false, ...over });

function setup(options: { crm?: FakeCrmOptions; generic?: Record<string, unknown>; pageSize?: number } = {}) {
  const clock = { now: new Date('2026-11-20T08:00:00Z') };
  const crm = createFakeRestCrm({ now: () => clock.now, maxPageSize: options.pageSize ?? 50, ...options.crm });
  // Ivan is in the CRM the Russian way: 8 and ten digits.
  crm.contacts.push({ id: 7, name: 'Ivan Petrov', phone: '84951234567' });
  const generic = { ...fakeCrmConfig(CRM, 'page', options.pageSize ?? 50), ...options.generic };
  const config = parseIntegratorConfig(JSON.stringify({ crm: { adapter: 'generic', generic } }), 'calltrail.json');
  const env = { GENERIC_WEBHOOK_SECRET: SECRET, ADMIN_TOKEN, SETTLE_SECONDS: '30', DELIVERY_LEASE_SECONDS: '10' };
  const settings = withConfiguredCrm(parseEnv(env), config, env);
  // The CRM behind its URL; the PBX's recordings (for multipart uploads) behind theirs.
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith('https://pbx.example/')) return new Response(RECORDING_BYTES, { headers: { 'content-type': 'audio/mpeg' } });
    if (!url.startsWith(CRM)) throw new TypeError(`unexpected request to ${url}`);
    return crm.fetch(input, init);
  }) as typeof fetch;
  const h = harness(testDb(), { start: clock.now, config, deps: { settings, crmFetch: fetcher, owner: 'test-owner' } });
  Object.defineProperty(clock, 'now', { get: () => h.clock.now });
  const worker = createDeliveryWorker(h.deps, { owner: 'test-owner', limiters: new Map() });
  if (!worker) throw new Error('no delivery worker');
  return { ...h, crm, drain: () => worker.drain({ budgetMs: 60_000 }) };
}

async function delivery(callId: string) {
  const [row] = await testDb()
    .db.select()
    .from(deliveries)
    .where(eq(deliveries.uniq, uniq(callId)));
  return row;
}

const callsOf = (h: ReturnType<typeof setup>, callId: string) => h.crm.calls.filter((c) => c.external_id === uniq(callId));

describe('delivery through the generic adapter', () => {
  it('puts a call on the known contact once, found by its national spelling, and says so on /health and /v1/crm', async () => {
    const h = setup();
    await h.post(callEnded({ call_id: 'k1', from: IVAN, recording: { id: 'r1', url: 'https://pbx.example/k1.wav' } }));
    expect(await h.drain()).toMatchObject({ claimed: 1, delivered: 1, failed: 0, stopped: null });
    expect(callsOf(h, 'k1')).toEqual([
      expect.objectContaining({
        contact_id: 7,
        direction: 'inbound',
        duration: 180,
        recording_url: 'https://pbx.example/k1.wav',
        note: 'Call inbound with +74951234567 (3:00)',
      }),
    ]);
    expect(await delivery('k1')).toMatchObject({
      state: 'delivered',
      crmAccountId: 'generic:crm.example',
      crmRefs: { note_id: callsOf(h, 'k1')[0]?.id, entity_id: 7, entity_type: 'contacts' },
    });

    await h.post(callEnded({ call_id: 'k1', from: IVAN, recording: { id: 'r1', url: 'https://pbx.example/k1.wav' } }));
    expect(await h.drain()).toMatchObject({ claimed: 0 });
    expect(callsOf(h, 'k1')).toHaveLength(1);

    expect(await (await h.app.request('/health')).json()).toMatchObject({ crm: 'ok', crm_kind: 'generic' });
    expect(await (await h.admin('/v1/crm')).json()).toMatchObject({ account_id: 'generic:crm.example', kind: 'generic', base_url: CRM, auth: 'config' });
  });

  it('creates a contact for an unknown number, then logs the call on it', async () => {
    const h = setup();
    await h.post(call('u1', NOBODY));
    await h.post(call('u2', NOBODY));
    for (let i = 0; i < 3; i++) await h.drain();
    expect(h.crm.contacts.filter((c) => c.phone === '+79990001122')).toHaveLength(1);
    const contact = h.crm.contacts.find((c) => c.phone === '+79990001122');
    expect([...callsOf(h, 'u1'), ...callsOf(h, 'u2')].map((c) => c.contact_id)).toEqual([contact?.id, contact?.id]);
    expect(await delivery('u2')).toMatchObject({ state: 'delivered' });
  });

  it('brings a late recording to the logged call with update_call — never a second call', async () => {
    const h = setup();
    await h.post(callEnded({ call_id: 'late', from: IVAN }));
    h.clock.advance(31);
    await runTick(h.deps);
    await h.drain();
    expect(callsOf(h, 'late')).toEqual([expect.objectContaining({ recording_url: null })]);

    h.clock.advance(60);
    await h.post(recordingReady({ call_id: 'late', recording: { id: 'r-late', url: 'https://pbx.example/late.wav' } }));
    expect(await h.drain()).toMatchObject({ delivered: 1 });
    expect(callsOf(h, 'late')).toEqual([expect.objectContaining({ recording_url: 'https://pbx.example/late.wav' })]);
    expect(h.crm.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it('uploads a late recording as multipart when the config says so', async () => {
    const h = setup({
      generic: { update_call: undefined, attach_recording: { mode: 'multipart', request: { path: '/calls/{{ crm_call_id }}/recording' }, field: 'file' } },
    });
    await h.post(callEnded({ call_id: 'late-mp', from: IVAN }));
    h.clock.advance(31);
    await runTick(h.deps);
    await h.drain();
    h.clock.advance(60);
    await h.post(recordingReady({ call_id: 'late-mp', recording: { id: 'r-late', url: 'https://pbx.example/late.wav' } }));
    expect(await h.drain()).toMatchObject({ delivered: 1 });
    expect(callsOf(h, 'late-mp')).toEqual([expect.objectContaining({ recording_bytes: RECORDING_BYTES.length })]);
  });

  it('looks a call up by uniq after a lost answer, and does not log it twice', async () => {
    const h = setup();
    h.crm.dropAnswer('log_call');
    await h.post(call('lost'));
    expect(await h.drain()).toMatchObject({ delivered: 0, retried: 1 });
    expect(await delivery('lost')).toMatchObject({ state: 'pending', outcomeUnknown: true });
    expect(callsOf(h, 'lost')).toHaveLength(1); // it did land

    h.clock.advance(60);
    const before = h.crm.requests.length;
    expect(await h.drain()).toMatchObject({ delivered: 1 });
    expect(callsOf(h, 'lost')).toHaveLength(1);
    expect(h.crm.requests.slice(before).map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual(['GET /calls']);
    expect(await delivery('lost')).toMatchObject({ state: 'delivered', outcomeUnknown: false, crmRefs: { note_id: callsOf(h, 'lost')[0]?.id } });
  });

  it('ends a lost answer as failed, for a person to check, when the CRM keeps no uniq', async () => {
    const generic = fakeCrmConfig(CRM);
    const { uniq: _, ...listWithoutUniq } = generic.list_calls;
    const h = setup({ crm: { externalId: false }, generic: { list_calls: listWithoutUniq } });
    h.crm.dropAnswer('log_call');
    await h.post(call('blind'));
    await h.drain();
    h.clock.advance(60);
    await h.drain();
    expect(h.crm.calls).toHaveLength(1);
    expect(await delivery('blind')).toMatchObject({ state: 'failed', reason: expect.stringMatching(/list_calls with a uniq selector is not configured/) });
  });

  it('paces itself when the CRM answers 429: every call lands once', { timeout: 60_000 }, async () => {
    const h = setup({ crm: { rate: { requests: 4, windowMs: 1000, retryAfterSeconds: 1 } } });
    for (const id of ['r1', 'r2', 'r3']) await h.post(call(id));
    // A run that met four 429s in a row leaves the rest for the next one, a minute later.
    for (let i = 0; i < 5 && h.crm.calls.length < 3; i++) {
      await h.drain();
      h.clock.advance(61);
    }
    for (const id of ['r1', 'r2', 'r3']) expect(callsOf(h, id), id).toHaveLength(1);
    expect(h.crm.requests.some((r) => r.status === 429)).toBe(true);
  });
});

describe('reconciliation through the generic adapter', () => {
  it('finds a call deleted in the CRM missing and puts it back, listing the CRM page by page', async () => {
    const h = setup({ pageSize: 2 });
    for (const id of ['n1', 'n2', 'n3', 'n4']) await h.post(call(id));
    expect(await h.drain()).toMatchObject({ delivered: 4 });
    const deleted = callsOf(h, 'n2')[0]!;
    await h.crm.fetch(`${CRM}/calls/${deleted.id}`, { method: 'DELETE' });

    h.clock.now = new Date('2026-11-21T02:30:00+03:00');
    const before = h.crm.requests.length;
    const { id } = await startRun(h.deps, { date: '2026-11-20' }, 'manual');
    const run = await runToEnd(h.deps, id, { owner: 'test-owner', budgetMs: 60_000 });
    expect(run).toMatchObject({ status: 'done', error: null });
    expect(run.counts).toMatchObject({ missing_in_crm: 1, repushed: 1 });
    for (const callId of ['n1', 'n2', 'n3', 'n4']) expect(callsOf(h, callId), callId).toHaveLength(1);
    // Three calls left = two pages of two (the second one short, so the listing stops there).
    const listings = h.crm.requests.slice(before).filter((r) => r.method === 'GET' && r.url.startsWith('/calls'));
    expect(listings.map((r) => new URLSearchParams(r.url.split('?')[1]).get('page'))).toEqual(['1', '2']);
  });
});
