/**
 * Metrics and traces on the Workers build under workerd: the official OpenTelemetry packages as
 * the Worker bundles them (fetch, no node:*) send a call's trace — webhook, inbox apply, the
 * delivery in waitUntil, its CRM request — to a collector in this test process, flushed at the end
 * of the request's work; and GET /metrics answers from the isolate's counters and the database.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unstable_dev } from 'wrangler';
import { createAmoSandbox } from '../../src/sandbox';
import { conversationUniq } from '../../src/ledger/versions';
import { signatureHeader } from '../../src/pbx/generic/signature';
import { SECRET, TEST_SECRETS_KEYS } from '#test/app';
import { createTestDb, type TestDb } from '#test/db';
import { callEnded } from '#test/events';
import { parseScrape } from '#test/prometheus';

type Worker = Awaited<ReturnType<typeof unstable_dev>>;
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}

const TOKEN = 'workerd-observability-token';
const METRICS_TOKEN = 'workerd-metrics-token-0123';
const sandbox = createAmoSandbox({ seed: 'demo', longLivedTokens: [TOKEN], rps: 20 });
const bodies: { headers: Record<string, string | string[] | undefined>; text: string }[] = [];
let db: TestDb;
let worker: Worker;
let crm: ServerType;
let collector: Server;

const portOf = (address: string | AddressInfo | null) => (typeof address === 'object' && address ? address.port : 0);

beforeAll(async () => {
  db = await createTestDb();
  const url = new URL(db.url ?? '');
  url.password = 'workerd';
  process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = url.toString();
  crm = await new Promise((resolve) => {
    const s = serve({ fetch: sandbox.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push({ headers: req.headers, text: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  worker = await unstable_dev('src/entry/worker.ts', {
    config: 'wrangler.toml',
    ip: '127.0.0.1',
    vars: {
      GENERIC_WEBHOOK_SECRET: SECRET,
      METRICS_TOKEN,
      SECRETS_KEYS: TEST_SECRETS_KEYS,
      SETTLE_SECONDS: '1',
      AMOCRM_BASE_URL: `http://127.0.0.1:${portOf(crm.address())}`,
      AMOCRM_LONG_LIVED_TOKEN: TOKEN,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${portOf(collector.address())}`,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=k%201',
    },
    logLevel: 'warn',
    persist: false,
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
  });
});

afterAll(async () => {
  await worker?.stop();
  await new Promise((resolve) => crm?.close(resolve));
  await new Promise((resolve) => collector?.close(resolve));
  await db?.close();
});

async function until<T>(check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const spans = () =>
  bodies.flatMap((b) =>
    (JSON.parse(b.text) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
  );

describe('observability under workerd', () => {
  it('sends one trace from the webhook to the CRM request its waitUntil delivery made', async () => {
    const now = Math.floor(Date.now() / 1000);
    const raw = JSON.stringify(callEnded({ call_id: 'obs-1', started_at: now - 100, answered_at: now - 90, ended_at: now - 10, recorded: false }));
    const res = await worker.fetch('/v1/pbx/generic/events', {
      method: 'POST',
      body: raw,
      headers: { 'content-type': 'application/json', 'x-calltrail-signature': await signatureHeader(SECRET, raw, Date.now() / 1000) },
    });
    expect(res.status).toBe(202);
    await until(() => (sandbox.store.notesByUniq(conversationUniq('generic', 'obs-1')).length ? true : undefined));
    // The flush runs once the request's deferred work is done.
    const crmSpan = await until(() => spans().find((s) => s.name === 'POST /api/v4/calls'));
    const all = spans();
    const byId = new Map(all.map((s) => [s.spanId, s]));
    const delivery = byId.get(crmSpan.parentSpanId ?? '');
    expect(delivery?.name).toBe('delivery log');
    const apply = byId.get(delivery?.parentSpanId ?? '');
    expect(apply?.name).toBe('inbox apply');
    const http = byId.get(apply?.parentSpanId ?? '');
    expect(http?.name).toBe('POST /v1/pbx/generic/events');
    expect(new Set([crmSpan, delivery, apply, http].map((s) => s?.traceId)).size).toBe(1);
    expect(crmSpan.attributes?.find((a) => a.key === 'http.response.status_code')?.value.intValue).toBe(200);
    expect(bodies[0]?.headers['x-collector-key']).toBe('k 1');
    const text = bodies.map((b) => b.text).join('\n');
    for (const secret of ['4951234567', TOKEN, SECRET]) expect(text).not.toContain(secret);
  });

  it('serves /metrics from the isolate: the delivery and its CRM requests counted', async () => {
    expect((await worker.fetch('/metrics')).status).toBe(401);
    const res = await worker.fetch('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = parseScrape(await res.text());
    const account = `amocrm:127.0.0.1:${portOf(crm.address())}`;
    expect(m.value('calltrail_deliveries', { account, state: 'delivered' })).toBe(1);
    expect(m.value('calltrail_crm_requests_total', { account, outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(m.value('calltrail_crm_budget_granted_total', { account })).toBe(sandbox.stats().requests);
    expect(m.value('calltrail_crm_budget_limit_rps', { account })).toBe(7);
  });
});
