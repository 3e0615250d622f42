/**
 * The Zadarma pull into the ledger, on PGlite and on PostgreSQL: a transferred call that reached
 * calltrail only through the statistics API (answered here by msw) becomes the conversation its
 * webhooks would have made — compared with the same call delivered as signed notifications.
 */
import { createHash, createHmac } from 'node:crypto';
import { http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { beforeEach, describe, expect, it } from 'vitest';
import { inboxDeps } from '../../src/deps';
import type { IngestInput } from '../../src/ledger/inbox';
import { ingestMany } from '../../src/ledger/inbox';
import { runTick } from '../../src/jobs';
import { zadarmaPull } from '../../src/pbx/zadarma/pull';
import * as transfer from '../../src/pbx/zadarma/fixtures/inbound-transfer';
import type { Notification } from '../../src/pbx/zadarma/fixtures/form';
import { harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationByKey, snapshot } from '#test/ledger';

const KEY = 'a248a6a984459935b569';
const SECRET = '8a8e91d214fb728889c7';
const STATISTICS = 'https://api.zadarma.com/v1/statistics/pbx/';
const RECORD_REQUEST = 'https://api.zadarma.com/v1/pbx/record/request/';

const server = strictMswServer();

const testDb = useTestDb();
let h: Harness;
beforeEach(() => {
  h = harness(testDb(), { env: { ZADARMA_API_KEY: KEY, ZADARMA_API_SECRET: SECRET } });
  // The tick asks for the recordings' links; Zadarma is still saving the files.
  server.use(rest.get(RECORD_REQUEST, () => HttpResponse.json({ status: 'error', message: 'Requested file not found' })));
});

/** Zadarma's documented signatures, computed independently with node:crypto. */
const SIGNED: Record<string, string[]> = {
  NOTIFY_INTERNAL: ['caller_id', 'called_did', 'call_start'],
  NOTIFY_END: ['caller_id', 'called_did', 'call_start'],
  NOTIFY_ANSWER: ['caller_id', 'destination', 'call_start'],
  NOTIFY_RECORD: ['pbx_call_id', 'call_id_with_rec'],
};
const notificationSignature = (n: Notification) =>
  Buffer.from(
    createHmac('sha1', SECRET)
      .update((SIGNED[n.event ?? ''] ?? ['caller_id', 'called_did', 'call_start']).map((f) => n[f] ?? '').join(''))
      .digest('hex'),
  ).toString('base64');
function apiAuthorization(url: URL) {
  const query = [...url.searchParams.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%20/g, '+')}`)
    .join('&');
  const md5 = createHash('md5').update(query).digest('hex');
  return `${KEY}:${Buffer.from(createHmac('sha1', SECRET).update(`/v1/statistics/pbx/${query}${md5}`).digest('hex')).toString('base64')}`;
}

function renamed(prefix: string, n: Notification): Notification {
  const out: Record<string, string> = { ...n };
  for (const field of ['pbx_call_id', 'call_id_with_rec']) if (out[field]) out[field] = `${prefix}${out[field]}`;
  return out;
}

/** The fixture's call as the statistics list it: 100 talks 60 s and transfers to 205, who talks 150 s. */
function statisticsLines(prefix: string) {
  const line = { sip: '74951234567', clid: '74951234567', pbx_call_id: `${prefix}${transfer.PBX_CALL_ID}`, is_recorded: true, disposition: 'answered' };
  return [
    { ...line, call_id: `${prefix}1795158000.1001`, callstart: '2026-11-20 10:00:00', destination: 100, seconds: 60 },
    { ...line, call_id: `${prefix}1795158000.2051`, callstart: '2026-11-20 10:01:00', destination: 205, seconds: 150 },
  ];
}

function statistics(lines: unknown[]) {
  server.use(
    rest.get(STATISTICS, ({ request }) => {
      const url = new URL(request.url);
      if (request.headers.get('authorization') !== apiAuthorization(url))
        return HttpResponse.json({ status: 'error', message: 'Not authorized' }, { status: 401 });
      return HttpResponse.json({ status: 'success', stats: url.searchParams.get('call_type') === 'in' ? lines : [] });
    }),
  );
}

async function pullInto(harnessed: Harness): Promise<IngestInput[]> {
  const window = { from: new Date('2026-11-19T21:00:00Z'), to: new Date('2026-11-20T21:00:00Z') };
  const all: IngestInput[] = [];
  for await (const page of zadarmaPull().pull(window, harnessed.deps)) {
    const results = await ingestMany(inboxDeps(harnessed.deps), page);
    expect(results.map((r) => r.status)).toEqual(page.map(() => 'processed'));
    all.push(...page);
  }
  return all;
}

describe('the Zadarma pull into the ledger', () => {
  it('makes the conversation the webhooks would have made', async () => {
    // The reference: the call's notifications as Zadarma posts them, signed.
    for (const n of [...transfer.inOrder, transfer.record100].map((x) => renamed('ref-', x))) {
      const res = await h.app.request('/v1/pbx/zadarma', {
        method: 'POST',
        body: new URLSearchParams(n).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', Signature: notificationSignature(n) },
      });
      expect(res.status).toBe(200);
    }
    // The same call, known only to the statistics.
    statistics(statisticsLines('run-'));
    const inputs = await pullInto(h);
    expect(inputs.length).toBeGreaterThan(0);
    h.clock.advance(60);
    await runTick(h.deps);

    const [reference] = await snapshot(testDb().db, 'ref-');
    const [pulled] = await snapshot(testDb().db, 'run-');
    expect(pulled).toEqual(reference);
    expect(pulled).toMatchObject({ callKey: transfer.PBX_CALL_ID, direction: 'inbound', externalNumber: '+74951234567', extension: '205' });
    expect(pulled).toMatchObject({ outcome: 'answered', talkSeconds: 210, final: true, settled: true });
    expect(pulled).toMatchObject({
      recordings: [
        { recordingKey: '1795158000.1001', status: 'referenced' },
        { recordingKey: '1795158000.2051', status: 'referenced' },
      ],
    });
    const stored = await conversationByKey(testDb().db, `run-${transfer.PBX_CALL_ID}`);
    expect(stored?.source).toBe('zadarma');
  });

  it('pulled twice, stores nothing twice', async () => {
    statistics(statisticsLines(''));
    const first = await pullInto(h);
    const again = await ingestMany(inboxDeps(h.deps), first);
    expect(again.map((r) => r.status)).toEqual(first.map(() => 'duplicate'));
  });
});
