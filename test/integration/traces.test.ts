/**
 * OpenTelemetry traces over OTLP/HTTP, received by a local collector stand-in that reads what the
 * official exporter sent (OTLP JSON): one trace from the webhook's request through the inbox
 * apply to the delivery and each CRM request it made, linked parent to child, and no phone number
 * or token in any of it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_TOKEN } from '../../src/crm/connect';
import { createDeliveryWorker } from '../../src/delivery/setup';
import { AsyncStoreContextManager } from '../../src/lib/trace';
import { startTracing, type Tracing } from '../../src/lib/tracing';
import { signatureHeader } from '../../src/pbx/generic/signature';
import { createAmoSandbox } from '../../src/sandbox';
import { ADMIN_TOKEN, harness, SECRET } from '#test/app';
import { useTestDb } from '#test/db';
import { callEnded } from '#test/events';

const testDb = useTestDb();

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
  links?: { traceId: string; spanId: string }[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** A collector that keeps every body posted to /v1/traces. */
let collector: Server;
const bodies: string[] = [];
let tracing: Tracing;

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.method === 'POST') bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const { port } = collector.address() as AddressInfo;
  tracing = startTracing({
    endpoint: `http://127.0.0.1:${port}`,
    headers: { authorization: 'Bearer collector-key' },
    contextManager: new AsyncStoreContextManager(new AsyncLocalStorage()),
    runtime: 'node',
  });
});

afterAll(async () => {
  await tracing?.shutdown();
  await new Promise((resolve) => collector?.close(resolve));
});

/** Every span sent so far, after a flush. */
async function exported(): Promise<{ spans: OtlpSpan[]; raw: string; exports: OtlpExport[] }> {
  await tracing.flush();
  const exports = bodies.map((b) => JSON.parse(b) as OtlpExport);
  const spans = exports.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
  return { spans, raw: bodies.join('\n'), exports };
}

const attr = (span: OtlpSpan | undefined, key: string) => {
  const value = span?.attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue !== undefined ? Number(value.intValue) : undefined);
};

function setup() {
  const clock = { now: new Date('2026-11-20T08:00:00Z') };
  const sandbox = createAmoSandbox({ seed: 'demo', longLivedTokens: [SANDBOX_TOKEN], rps: 50, now: () => clock.now, rateClock: () => Date.now() });
  const h = harness(testDb(), { start: clock.now, env: { AMOCRM_RPS: '50' }, deps: { sandbox, limiters: new Map() } });
  Object.defineProperty(clock, 'now', { get: () => h.clock.now });
  const worker = createDeliveryWorker(h.deps, { owner: 'traces-test' });
  if (!worker) throw new Error('no delivery worker');
  return { h, worker };
}

describe('traces over OTLP/HTTP', () => {
  it('follow a call from its webhook through the inbox apply to the delivery and each CRM request', async () => {
    const { h, worker } = setup();
    bodies.length = 0;
    expect((await h.post(callEnded({ call_id: 't1', from: '+7 (495) 123-45-67', recorded: false }))).status).toBe(202);
    expect(await worker.drain({ budgetMs: 30_000 })).toMatchObject({ delivered: 1 });
    const { spans, raw, exports } = await exported();

    const http = spans.find((s) => s.name === 'POST /v1/pbx/generic/events');
    expect(http).toBeDefined();
    expect(http?.kind).toBe(2); // SERVER
    expect(http?.parentSpanId ?? '').toBe('');
    expect(attr(http, 'http.response.status_code')).toBe(202);
    expect(attr(http, 'calltrail.account')).toBe('sandbox');

    const apply = spans.find((s) => s.name === 'inbox apply');
    expect(apply).toMatchObject({ traceId: http?.traceId, parentSpanId: http?.spanId });
    expect(attr(apply, 'calltrail.inbox.status')).toBe('processed');

    const delivery = spans.find((s) => s.name === 'delivery log');
    expect(delivery).toMatchObject({ traceId: http?.traceId, parentSpanId: apply?.spanId });
    expect(attr(delivery, 'calltrail.calls')).toBe(1);

    const crm = spans.filter((s) => s.parentSpanId === delivery?.spanId);
    expect(crm.map((s) => s.name)).toContain('POST /api/v4/calls');
    for (const span of crm) {
      expect(span.kind).toBe(3); // CLIENT
      expect(span.traceId).toBe(http?.traceId);
      expect(attr(span, 'http.response.status_code')).toBe(200);
      expect(attr(span, 'calltrail.crm.outcome')).toBe('ok');
    }
    expect(exports[0]?.resourceSpans[0]?.resource.attributes?.find((a) => a.key === 'service.name')?.value.stringValue).toBe('calltrail');

    // No number (in any spelling) and no token anywhere in what was sent.
    for (const secret of ['4951234567', '495) 123', SANDBOX_TOKEN, ADMIN_TOKEN, SECRET]) expect(raw).not.toContain(secret);
  });

  it('continue a trace the caller started (W3C traceparent), and give each delivery request links to the other calls', async () => {
    const { h, worker } = setup();
    bodies.length = 0;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const raw = JSON.stringify(callEnded({ call_id: 't2', from: '+7 (495) 123-45-67', recorded: false }));
    const res = await h.app.request('/v1/pbx/generic/events', {
      method: 'POST',
      body: raw,
      headers: {
        'content-type': 'application/json',
        'x-calltrail-signature': await signatureHeader(SECRET, raw, h.clock.now.getTime() / 1000),
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
    });
    expect(res.status).toBe(202);
    expect((await h.post(callEnded({ call_id: 't3', from: '8 916 555 12 34', recorded: false }))).status).toBe(202);
    expect(await worker.drain({ budgetMs: 30_000 })).toMatchObject({ delivered: 2 });
    const { spans } = await exported();

    const http = spans.find((s) => s.name === 'POST /v1/pbx/generic/events' && s.traceId === traceId);
    expect(http?.parentSpanId).toBe('00f067aa0ba902b7');
    const applies = spans.filter((s) => s.name === 'inbox apply');
    expect(applies).toHaveLength(2);
    // Both calls went in one log request: a child of the first call's trace, linked to the other's.
    const delivery = spans.find((s) => s.name === 'delivery log');
    expect(delivery?.attributes?.find((a) => a.key === 'calltrail.calls')?.value.intValue).toBe(2);
    const traces = new Set([delivery?.traceId, ...(delivery?.links ?? []).map((l) => l.traceId)]);
    expect(traces).toEqual(new Set(applies.map((s) => s.traceId)));
    const linked = applies.find((s) => s.traceId !== delivery?.traceId);
    expect(delivery?.links?.[0]?.spanId).toBe(linked?.spanId);
  });
});
