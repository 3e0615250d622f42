/**
 * GET /metrics read as Prometheus reads it (a real text-format parser), on PGlite and on
 * PostgreSQL, after webhooks, a delivery that met one 429 from the CRM, and a reconciliation run:
 * every value is checked against what happened — the requests the CRM saw, the rows in the
 * database. And who may read it: the metrics token, an API token with the metrics scope, the
 * admin token; nobody else.
 */
import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { accountSettings } from '../../src/accounts/settings';
import { createApp } from '../../src/app';
import { SANDBOX_TOKEN } from '../../src/crm/connect';
import { createDeliveryWorker } from '../../src/delivery/setup';
import { callAudio, conversations, inboxEvents, reconcileFindings, reconcileRuns, recordings } from '../../src/db/schema';
import { createToken } from '../../src/people/tokens';
import { BUILD_FAILED } from '../../src/recordings/build-audio';
import { createAmoSandbox } from '../../src/sandbox';
import { ADMIN_TOKEN, harness } from '#test/app';
import { useTestDb } from '#test/db';
import { callEnded } from '#test/events';
import { parseScrape } from '#test/prometheus';

const testDb = useTestDb();
const METRICS_TOKEN = 'metrics-token-0123456789';
const LOOKUP_TOKEN = 'lookup-token-0123456789ab';
const IVAN = '+7 (495) 123-45-67'; // a demo contact of the sandbox
const OLGA = '8 916 555 12 34';

/** The app, a delivery worker on the app's own budgets, and a CRM that answers its first call log with a 429. */
function setup() {
  const statuses: number[] = [];
  let refused = false;
  const clock = { now: new Date('2026-11-20T08:00:00Z') };
  const sandbox = createAmoSandbox({ seed: 'demo', longLivedTokens: [SANDBOX_TOKEN], rps: 50, now: () => clock.now, rateClock: () => Date.now() });
  const crm = {
    async fetch(request: Request) {
      const url = new URL(request.url);
      let response: Response;
      if (!refused && request.method === 'POST' && url.pathname === '/api/v4/calls') {
        refused = true;
        response = new Response(JSON.stringify({ title: 'Too Many Requests' }), { status: 429, headers: { 'content-type': 'application/json' } });
      } else response = await sandbox.fetch(request);
      statuses.push(response.status);
      return response;
    },
  };
  const h = harness(testDb(), {
    start: clock.now,
    env: { AMOCRM_RPS: '50', DELIVERY_LEASE_SECONDS: '10', METRICS_TOKEN, LOOKUP_TOKEN },
    deps: { sandbox: crm, limiters: new Map() },
  });
  Object.defineProperty(clock, 'now', { get: () => h.clock.now });
  const worker = createDeliveryWorker(h.deps, { owner: 'metrics-test' });
  if (!worker) throw new Error('no delivery worker');
  const scrape = async (token = METRICS_TOKEN, accept?: string) => {
    const res = await h.app.request('/metrics', { headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) } });
    expect(res.status).toBe(200);
    return res;
  };
  return { h, worker, statuses, scrape };
}

const count = (values: number[], predicate: (v: number) => boolean) => values.filter(predicate).length;

/** A reconciliation run with its findings, written as the engine writes them. */
async function recordRun(startedAt: Date, status: 'done' | 'failed', findings: { kind: 'missing_in_crm' | 'duplicate_in_crm'; resolved: boolean }[]) {
  const [run] = await testDb()
    .db.insert(reconcileRuns)
    .values({
      windowFrom: new Date(startedAt.getTime() - 86_400_000),
      windowTo: startedAt,
      trigger: 'nightly',
      status,
      progress: { pulled: [], crm: { entity: null, page: 0, done: true }, compared: true, repushed: true },
      gapsRemaining: findings.filter((f) => !f.resolved).length,
      startedAt,
      finishedAt: startedAt,
    })
    .returning({ id: reconcileRuns.id });
  if (findings.length)
    await testDb()
      .db.insert(reconcileFindings)
      .values(findings.map((f) => ({ runId: run!.id, kind: f.kind, action: 'repushed' as const, resolved: f.resolved })));
}

describe('GET /metrics', () => {
  it('tells the truth after webhooks, a delivery that met a 429, recordings and a reconciliation', async () => {
    const { h, worker, statuses, scrape } = setup();
    const db = testDb().db;
    // Two calls that settle at once (one with a recording the PBX keeps), one that waits for its recording.
    expect((await h.post(callEnded({ call_id: 'm1', from: IVAN, recording: { id: 'r1', url: 'https://pbx.example/m1.wav' } }))).status).toBe(202);
    expect((await h.post(callEnded({ call_id: 'm2', from: OLGA, recorded: false }))).status).toBe(202);
    h.clock.advance(5);
    expect((await h.post(callEnded({ call_id: 'm3', from: IVAN, recorded: true }))).status).toBe(202);
    const report = await worker.drain({ budgetMs: 30_000 });
    expect(report).toMatchObject({ delivered: 2, failed: 0 });
    expect(count(statuses, (s) => s === 429)).toBe(1);
    // Delivered after the drain: pending.
    expect((await h.post(callEnded({ call_id: 'm4', from: OLGA, recorded: false }))).status).toBe(202);
    // A body that could not be applied, stored two minutes ago (as the inbox keeps one).
    await db
      .insert(inboxEvents)
      .values({ source: 'generic', dedupeKey: 'broken', raw: '{}', status: 'failed', error: 'boom', receivedAt: new Date(h.clock.now.getTime() - 120_000) });
    // One call's MP3 built; another's build failed (its archived segment says so).
    const [m1] = await db.select({ id: conversations.id }).from(conversations).where(eq(conversations.callKey, 'm1'));
    const [m2] = await db.select({ id: conversations.id }).from(conversations).where(eq(conversations.callKey, 'm2'));
    await db
      .insert(callAudio)
      .values({ conversationId: m1!.id, storageKey: 'calls/m1.mp3', sha256: 'x', bytes: 10, durationMs: 1000, builtFrom: [], transcoded: true });
    await db.insert(recordings).values({
      conversationId: m2!.id,
      recordingKey: 'seg',
      legKey: 'm2',
      status: 'referenced',
      version: '1',
      fetchState: 'archived',
      fetchError: `${BUILD_FAILED}: not audio`,
    });
    await recordRun(new Date('2026-11-18T23:30:00Z'), 'failed', [{ kind: 'duplicate_in_crm', resolved: false }]);
    await recordRun(new Date('2026-11-19T23:30:00Z'), 'done', [
      { kind: 'missing_in_crm', resolved: true },
      { kind: 'missing_in_crm', resolved: false },
      { kind: 'duplicate_in_crm', resolved: true },
    ]);
    h.clock.advance(10);

    const res = await scrape();
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = parseScrape(await res.text());
    const a = { account: 'sandbox' };

    expect(m.value('calltrail_inbox_unapplied', a)).toBe(1);
    expect(m.value('calltrail_inbox_unapplied_oldest_age_seconds', a)).toBe(130);
    // m3 waits for its recording: its final event came 10 s ago.
    expect(m.value('calltrail_settle_waiting', a)).toBe(1);
    expect(m.value('calltrail_settle_oldest_age_seconds', a)).toBe(10);
    expect(m.value('calltrail_settle_overdue', a)).toBe(0);

    expect(m.samples('calltrail_deliveries').map((s) => [s.labels.state, s.value])).toEqual(
      expect.arrayContaining([
        ['delivered', 2],
        ['pending', 1],
        ['failed', 0],
        ['skipped', 0],
      ]),
    );
    const pendingAge = m.value('calltrail_deliveries_oldest_pending_age_seconds', a) ?? -1;
    expect(pendingAge).toBeGreaterThanOrEqual(0);
    expect(pendingAge).toBeLessThan(30);
    expect(m.value('calltrail_crm_account_status', { ...a, status: 'ok' })).toBe(1);
    expect(m.value('calltrail_crm_account_status', { ...a, status: 'blocked' })).toBe(0);

    // What the CRM saw, try by try.
    const limiter = h.deps.limiters?.get('sandbox');
    expect(m.value('calltrail_crm_requests_total', { ...a, outcome: 'rate_limited' })).toBe(1);
    expect(m.value('calltrail_crm_requests_total', { ...a, outcome: 'ok' })).toBe(count(statuses, (s) => s < 300));
    expect(m.samples('calltrail_crm_requests_total').reduce((sum, s) => sum + s.value, 0)).toBe(statuses.length);
    expect(m.value('calltrail_crm_responses_total', { ...a, code: '429' })).toBe(1);
    expect(m.value('calltrail_crm_responses_total', { ...a, code: '403' })).toBe(0);
    expect(m.value('calltrail_crm_responses_total', { ...a, code: '200' })).toBe(count(statuses, (s) => s === 200));
    expect(m.value('calltrail_crm_budget_granted_total', a)).toBe(statuses.length);
    expect(m.value('calltrail_crm_budget_limit_rps', a)).toBe(50);
    // The 429 halved the pace; it recovers a tenth every quiet 10 s.
    expect(m.value('calltrail_crm_budget_rps', a)).toBe(limiter?.currentRps);
    expect(m.value('calltrail_crm_budget_rps', a)).toBeLessThan(50);
    expect(m.value('calltrail_crm_budget_waiting', a)).toBe(0);

    const recordingRows = await db.select({ state: recordings.fetchState }).from(recordings);
    expect(m.value('calltrail_recordings', { ...a, state: 'skipped' })).toBe(recordingRows.filter((r) => r.state === 'skipped').length);
    expect(m.value('calltrail_recordings', { ...a, state: 'archived' })).toBe(1);
    expect(m.value('calltrail_call_audio', { ...a, result: 'transcoded' })).toBe(1);
    expect(m.value('calltrail_call_audio', { ...a, result: 'stored' })).toBe(0);
    expect(m.value('calltrail_call_audio', { ...a, result: 'failed' })).toBe(1);

    // The latest run, not the one before it.
    expect(m.value('calltrail_reconcile_findings', { ...a, kind: 'missing_in_crm' })).toBe(2);
    expect(m.value('calltrail_reconcile_findings', { ...a, kind: 'duplicate_in_crm' })).toBe(1);
    expect(m.value('calltrail_reconcile_findings', { ...a, kind: 'lost_webhook' })).toBe(0);
    expect(m.value('calltrail_reconcile_findings_unresolved', { ...a, kind: 'missing_in_crm' })).toBe(1);
    expect(m.value('calltrail_reconcile_findings_unresolved', { ...a, kind: 'duplicate_in_crm' })).toBe(0);
    expect(m.value('calltrail_reconcile_gaps_remaining', a)).toBe(1);
    expect(m.value('calltrail_reconcile_last_run_status', { ...a, status: 'done' })).toBe(1);
    expect(m.value('calltrail_reconcile_last_run_status', { ...a, status: 'failed' })).toBe(0);
    expect(m.value('calltrail_reconcile_last_run_start_timestamp_seconds', a)).toBe(Date.parse('2026-11-19T23:30:00Z') / 1000);
  });

  it('has every family with HELP and TYPE from the start, zeros where nothing happened yet', async () => {
    const { scrape } = setup();
    const text = await (await scrape()).text();
    const m = parseScrape(text);
    for (const f of m.families) expect(f.help.length, f.name).toBeGreaterThan(10);
    expect(m.value('calltrail_inbox_unapplied', { account: 'sandbox' })).toBe(0);
    expect(m.value('calltrail_crm_requests_total', { account: 'sandbox', outcome: 'rate_limited' })).toBe(0);
    expect(m.value('calltrail_deliveries', { account: 'sandbox', state: 'pending' })).toBe(0);
    // No run yet: the reconciliation families are declared, without samples.
    expect(text).toContain('# TYPE calltrail_reconcile_findings gauge');
    expect(m.samples('calltrail_reconcile_findings')).toEqual([]);
  });

  it('speaks OpenMetrics when the scraper prefers it', async () => {
    const { scrape } = setup();
    const res = await scrape(METRICS_TOKEN, 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5');
    expect(res.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('# TYPE calltrail_crm_requests counter');
    expect(text).toMatch(/^calltrail_crm_requests_total\{account="sandbox",outcome="ok"\} 0$/m);
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it('opens to METRICS_TOKEN, a metrics-scoped API token, the admin token, and basic auth; 401 and 403 otherwise', async () => {
    const { h } = setup();
    const get = (authorization?: string) => h.app.request('/metrics', { headers: authorization ? { authorization } : {} });
    const none = await get();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(await none.json()).toMatchObject({ error: { code: 'unauthorized', requestId: expect.any(String) } });
    expect((await get('Bearer wrong-token-0123456789')).status).toBe(401);

    const scoped = await createToken(testDb().db, { name: 'prometheus', scopes: ['metrics'], role: null, createdBy: 'test' }, new Date());
    const lookup = await createToken(testDb().db, { name: 'pbx', scopes: ['lookup'], role: null, createdBy: 'test' }, new Date());
    expect((await get(`Bearer ${METRICS_TOKEN}`)).status).toBe(200);
    expect((await get(`Bearer ${scoped.secret}`)).status).toBe(200);
    expect((await get(`Bearer ${ADMIN_TOKEN}`)).status).toBe(200);
    expect((await get(`Basic ${btoa(`prometheus:${METRICS_TOKEN}`)}`)).status).toBe(200);
    const refused = await get(`Bearer ${lookup.secret}`);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'forbidden', message: 'this token has no metrics scope' } });
    expect((await get(`Bearer ${LOOKUP_TOKEN}`)).status).toBe(403);
    // The metrics token opens nothing else.
    expect((await h.app.request('/v1/calls', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(403);
    expect((await h.app.request('/v1/calls', { headers: { authorization: `Bearer ${scoped.secret}` } })).status).toBe(403);
  });

  it('backs every query of the Grafana dashboard (docs/grafana-calltrail.json): its metrics and their labels', async () => {
    const { scrape } = setup();
    await recordRun(new Date('2026-11-19T23:30:00Z'), 'done', [{ kind: 'missing_in_crm', resolved: false }]);
    const m = parseScrape(await (await scrape()).text());
    const labelsOf = new Map(m.families.map((f) => [f.name, new Set(f.metrics.flatMap((s) => Object.keys(s.labels ?? {})))]));
    const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana-calltrail.json', import.meta.url), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    expect(dashboard.panels.map((p) => p.title)).toEqual([
      'Inbox lag',
      'Settle backlog',
      'Deliveries by state',
      'CRM requests by outcome',
      '429 and 403 from the CRM',
      'CRM budget in use',
      'Recordings',
      'Reconciliation findings (latest run)',
    ]);
    const queried = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets) {
        const selectors = [...expr.matchAll(/\b(calltrail_[a-z0-9_]+)(?:\{([^}]*)\})?/g)];
        expect(selectors, expr).toHaveLength(1);
        const [, name, matchers = ''] = selectors[0] as RegExpMatchArray;
        const labels = labelsOf.get(name as string);
        expect(labels, `${panel.title}: ${name} is not exposed`).toBeDefined();
        queried.add(name as string);
        const matched = [...matchers.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1] ?? '');
        const grouped = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((b) => (b[1] ?? '').split(',').map((l) => l.trim()));
        for (const label of [...matched, ...grouped]) expect([...(labels ?? [])], `${expr}: label ${label}`).toContain(label);
      }
    }
    // Every family the endpoint serves has a place on the dashboard.
    expect([...labelsOf.keys()].filter((name) => !queried.has(name))).toEqual([]);
  });

  it("an added account's app takes its own METRICS_TOKEN, never account 1's", async () => {
    const { h } = setup();
    const settings = accountSettings(h.deps.settings, { slug: 'acme', variables: { METRICS_TOKEN: 'acme-metrics-token-0123' }, config: h.deps.config });
    const acme = createApp({ ...h.deps, settings });
    const get = (token: string) => acme.request('/metrics', { headers: { authorization: `Bearer ${token}` } });
    expect((await get('acme-metrics-token-0123')).status).toBe(200);
    expect((await get(METRICS_TOKEN)).status).toBe(401);
    expect((await get(ADMIN_TOKEN)).status).toBe(200);
  });

  it('is in the OpenAPI document, with its bearer security', async () => {
    const { h } = setup();
    const doc = (await (await h.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    expect(Object.keys(doc.paths['/metrics'] ?? {})).toEqual(['get']);
    expect(doc.paths['/metrics']?.get?.security).toEqual([{ bearer: [] }]);
  });
});
