/**
 * Field data through the real ledger, on PGlite and PostgreSQL:
 *  - one real call is one conversation and one CRM note whichever paths its CDRs take — the
 *    Master.csv import, the FreePBX poller (a real MariaDB) and the push webhook, all at once;
 *  - a FreeSWITCH attended transfer (legs keyed apart by call_uuid, linked by bridge_uuid /
 *    originating_leg_uuid / transfer_history) is one conversation in every arrival order, also
 *    when its legs are stored at the same time;
 *  - every sample of the field corpus, ingested body by body, gives the ledger exactly what
 *    `calltrail check` (the dry run) says: what integrators see before going live is what runs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { asc, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultIntegratorConfig, type IntegratorConfig } from '../../src/settings/integrator';
import { conversations } from '../../src/db/schema';
import { dryRunContext, inboxDeps } from '../../src/deps';
import { createFreepbxPoller } from '../../src/entry/node/freepbx-poller';
import { importAsteriskCsv } from '../../src/entry/node/import';
import { dryRun, type DryRunCall } from '../../src/ledger/dry-run';
import { ingestMany } from '../../src/ledger/inbox';
import { settleDue } from '../../src/ledger/settle';
import { conversationUniq } from '../../src/ledger/versions';
import { csvReading } from '../../src/pbx/asterisk/parse';
import { amiEvent, masterCsvLine, missedCall, transferChain } from '../../src/pbx/asterisk/testing';
import { freepbxConfigSchema } from '../../src/pbx/freepbx/config';
import { parsers } from '../../src/pbx/registry';
import { parseContext } from '../../src/pbx/source';
import { sourcesConfigSchema } from '../../src/pbx/sources-config';
import { harness } from '#test/app';
import { useTestDb } from '#test/db';
import { deliveryHarness } from '#test/delivery';
import { useFreepbxDb } from '#test/freepbx-db';
import { counts } from '#test/ledger';
import { corpusSamples, readSample } from '#test/field-corpus';

const getDb = useTestDb();
const freepbxDb = useFreepbxDb('paths');
const ASTERISK_SECRET = 'asterisk-secret-0123456789';
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-paths-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  await getDb().db.execute(sql`truncate inbox_events, conversations, pbx_cursors, crm_accounts cascade`);
});

function signed(raw: string, t: number): string {
  return `t=${t},v1=${createHmac('sha256', ASTERISK_SECRET).update(`${t}.${raw}`).digest('hex')}`;
}

describe('one real call is one conversation, whatever the path', () => {
  it('the same CDRs through the CSV import, the FreePBX poller and the push webhook: one conversation and one CRM note per call', async () => {
    const freepbx = { database_url: freepbxDb.url, time_zone: 'Europe/Moscow', lookback_minutes: 60, start_from: 'beginning' as const };
    const config: Partial<IntegratorConfig> = { ...defaultIntegratorConfig(), sources: sourcesConfigSchema.parse({ freepbx }) };
    const h = deliveryHarness(getDb(), { config, env: { ASTERISK_WEBHOOK_SECRET: ASTERISK_SECRET } });
    const chain = transferChain('1763700000');
    const missed = missedCall('1763700500');
    const cdrs = [...chain, ...missed];

    // The backfill of Master.csv…
    const file = join(dir, 'Master.csv');
    writeFileSync(file, `${cdrs.map((c) => masterCsvLine(c)).join('\n')}\n`);
    const ingest = (inputs: Parameters<typeof ingestMany>[1]) => ingestMany(inboxDeps(h.deps), inputs);
    const imported = await importAsteriskCsv(file, { reading: csvReading(parseContext(h.deps.config)), batchSize: 10, window: 100, ingest });
    expect(imported).toMatchObject({ rows: 4, legs: 4, failed: 0 });
    // …the poller reading FreePBX's cdr table…
    await freepbxDb.insert(cdrs);
    const poller = createFreepbxPoller(h.deps, { ...freepbxConfigSchema.parse(freepbx), database_url: freepbxDb.url });
    try {
      expect(await poller.pollOnce()).toMatchObject({ rows: 4, stored: 4 });
    } finally {
      await poller.stop();
    }
    // …and the push endpoint relaying the AMI Cdr events.
    const raw = JSON.stringify(cdrs.map(amiEvent));
    const res = await h.app.request('/v1/pbx/asterisk/cdr', {
      method: 'POST',
      body: raw,
      headers: { 'content-type': 'application/json', 'x-calltrail-signature': signed(raw, Math.floor(h.clock.now.getTime() / 1000)) },
    });
    expect(res.status).toBe(202);

    const db = getDb().db;
    expect(await counts(db)).toMatchObject({ conversations: 2, legs: 4 });
    const rows = await db.select().from(conversations).orderBy(asc(conversations.callKey));
    expect(rows.map((r) => [r.source, r.callKey, r.legCount, r.direction, r.extension])).toEqual([
      ['asterisk', '1763700000.1', 3, 'inbound', '205'],
      ['asterisk', '1763700500.5', 1, 'inbound', '100'],
    ]);

    h.clock.advance(120);
    await settleDue(db, inboxDeps(h.deps).ctx, h.clock.now);
    await h.drain();
    for (const key of ['1763700000.1', '1763700500.5']) expect(h.sandbox.store.notesByUniq(conversationUniq('asterisk', key))).toHaveLength(1);
    expect(h.sandbox.store.callNotes()).toHaveLength(2);
  });
});

describe('a number that cannot be normalized', () => {
  it('is kept as dialled, shown with the reason, found by its digits however they are written', async () => {
    const h = harness(getDb());
    // A 6-digit city number without its area code, as the office in Buryatia receives them.
    const event = {
      type: 'call.ended',
      call_id: 'city-1',
      direction: 'inbound',
      from: '21-49-43',
      to: '301',
      extension: '301',
      started_at: '2026-11-20T10:00:00+03:00',
      answered_at: '2026-11-20T10:00:05+03:00',
      ended_at: '2026-11-20T10:01:05+03:00',
      disposition: 'answered',
    };
    expect((await h.post(event)).status).toBe(202);
    const found = (await (await h.admin('/v1/calls?phone=214943')).json()) as {
      items: { id: string; external_number: string | null; external_number_raw: string; external_number_note: string }[];
    };
    expect(found.items).toMatchObject([{ external_number: null, external_number_raw: '21-49-43' }]);
    expect(found.items[0]?.external_number_note).toMatch(/kept as dialled/);
    expect(((await (await h.admin('/v1/calls?phone=21 49 43')).json()) as { items: unknown[] }).items).toHaveLength(1);
    const detail = (await (await h.admin(`/v1/calls/${found.items[0]?.id}`)).json()) as { direction_rule: string | null };
    expect(detail.direction_rule).toBe("the PBX's record declares it inbound");
  });
});

describe('a Master.csv in Windows-1251', () => {
  it('is read alike by the push and the import: the same text, so the import finds the pushed line a duplicate', async () => {
    const h = harness(getDb(), { env: { ASTERISK_WEBHOOK_SECRET: ASTERISK_SECRET } });
    const [first] = transferChain('cp-1763622000');
    const line = masterCsvLine({ ...first!, clid: '"Иван Петров" <74951234567>' });
    const bytes = Buffer.from(cp1251(line));
    const t = Math.floor(h.clock.now.getTime() / 1000);
    const sig = `t=${t},v1=${createHmac('sha256', ASTERISK_SECRET)
      .update(Buffer.concat([Buffer.from(`${t}.`), bytes]))
      .digest('hex')}`;
    const res = await h.app.request('/v1/pbx/asterisk/cdr', {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'text/csv', 'x-calltrail-signature': sig },
    });
    expect(res.status).toBe(202);
    const file = join(dir, 'cp1251.csv');
    writeFileSync(file, Buffer.concat([bytes, Buffer.from('\n')]));
    const ingest = (inputs: Parameters<typeof ingestMany>[1]) => ingestMany(inboxDeps(h.deps), inputs);
    const imported = await importAsteriskCsv(file, { reading: csvReading(parseContext(h.deps.config)), batchSize: 10, window: 100, ingest });
    expect(imported).toMatchObject({ rows: 1, stored: 0, duplicates: 1 });
    const [row] = await getDb().db.query.inboxEvents.findMany();
    expect(row?.raw).toContain('""Иван Петров"" <74951234567>');
  });
});

/** Windows-1251 bytes of a text of ASCII and Russian letters. */
function cp1251(text: string): Uint8Array {
  return Uint8Array.from(
    [...text].map((ch) => {
      const code = ch.codePointAt(0) ?? 0;
      if (code < 0x80) return code;
      if (code >= 0x410 && code <= 0x44f) return code - 0x410 + 0xc0;
      throw new Error(`no Windows-1251 byte for ${ch}`);
    }),
  );
}

describe('Asterisk ≤ 11 rows without linkedid', () => {
  // Written for this test (no public ≤ 11 capture of a transfer was found): the customer with 100,
  // then 100's channel hands the customer over to 205 under another uniqueid.
  const lines = [
    '"","74951234567","100","from-trunk","","SIP/trunk-0000000a","SIP/100-0000000b","Dial","","2026-11-20 10:00:00","2026-11-20 10:00:05","2026-11-20 10:01:00",60,55,"ANSWERED","DOCUMENTATION","1763632800.10"',
    '"","100","205","from-internal","","SIP/100-0000000b","SIP/205-0000000c","Dial","","2026-11-20 10:00:40","2026-11-20 10:00:45","2026-11-20 10:03:00",140,135,"ANSWERED","DOCUMENTATION","1763632840.12"',
  ];

  it('are joined by the channel they share, whichever is stored first', async () => {
    const config = { ...defaultIntegratorConfig(), time_zone: 'UTC', sources: sourcesConfigSchema.parse({ asterisk: { csv_columns: 'uniqueid' } }) };
    const h = harness(getDb(), { config });
    const deps = inboxDeps(h.deps);
    for (const line of [...lines].reverse()) {
      const meta = { content_type: 'text/csv' };
      await ingestMany(deps, [{ source: 'asterisk', raw: line, meta, events: parsers.asterisk!.parse(line, meta, deps.ctx.parse) }]);
    }
    const rows = await getDb().db.select().from(conversations);
    expect(rows.map((r) => [r.callKey, r.legCount, r.direction, r.extension])).toEqual([['1763632800.10', 2, 'inbound', '205']]);
  });
});

describe('a FreeSWITCH attended transfer is one conversation', () => {
  // The field corpus's attended transfer: the customer's A-leg, agent 101's B-leg, and the
  // consultation leg to 102 whose call_uuid is 101's leg.
  const bodies = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/field/freeswitch/attended-transfer-form-encoded/bodies.json'), 'utf8')) as {
    body: string;
    query: string;
    content_type: string;
  }[];
  const orders = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];
  const post = (h: ReturnType<typeof harness>, b: (typeof bodies)[number]) =>
    h.app.request(`/v1/pbx/freeswitch?${b.query}`, {
      method: 'POST',
      body: b.body,
      headers: { 'content-type': b.content_type, authorization: `Basic ${Buffer.from('fs:secret-password').toString('base64')}` },
    });

  it.each(orders)('arriving in the order %i, %i, %i', async (...order) => {
    const h = harness(getDb(), { env: { FREESWITCH_BASIC_AUTH: 'fs:secret-password' } });
    for (const i of order) expect((await post(h, bodies[i]!)).status).toBeLessThan(300);
    const rows = await getDb().db.select().from(conversations);
    expect(rows.map((r) => [r.callKey, r.legCount, r.direction, r.extension, r.talkSeconds, r.externalNumber])).toEqual([
      ['3f2b6c1e-8d4a-4e1f-9b7c-2a5d8e0f1c3b', 3, 'inbound', '102', 185, '+79161234567'],
    ]);
  });

  it('stored at the same moment', async () => {
    const h = harness(getDb(), { env: { FREESWITCH_BASIC_AUTH: 'fs:secret-password' } });
    const answers = await Promise.all(bodies.map((b) => post(h, b)));
    expect(answers.map((a) => a.status < 300)).toEqual([true, true, true]);
    const rows = await getDb().db.select().from(conversations);
    expect(rows.map((r) => [r.callKey, r.legCount])).toEqual([['3f2b6c1e-8d4a-4e1f-9b7c-2a5d8e0f1c3b', 3]]);
  });
});

type CallView = Pick<DryRunCall, 'callKey' | 'direction' | 'externalNumber' | 'externalNumberRaw' | 'extension' | 'outcome' | 'talkSeconds' | 'legCount'>;
/** What the ledger and the dry run must agree on, and the delivery decision. */
const view = (c: CallView, delivery: (string | null)[] | null) => ({
  key: c.callKey,
  direction: c.direction,
  external: c.externalNumber,
  raw: c.externalNumberRaw,
  extension: c.extension,
  outcome: c.outcome,
  talk: c.talkSeconds,
  legs: c.legCount,
  delivery,
});

describe('the field corpus through the ledger reads as `calltrail check` reads it', () => {
  it.each(corpusSamples().map((s) => [`${s.source}/${s.name}`, s] as const))('%s', async (_name, sample) => {
    const { config, bodies } = readSample(sample);
    const h = harness(getDb(), { config, start: new Date('2026-11-20T08:00:00Z') });
    const deps = inboxDeps(h.deps);
    const ctx = parseContext(config);
    for (const body of bodies) {
      let events;
      try {
        events = parsers[body.source]!.parse(body.raw, body.meta, ctx);
      } catch {
        continue; // refused at the door: the dry run lists it too (and the corpus has none)
      }
      await ingestMany(deps, [{ source: body.source, raw: body.raw, meta: body.meta, events }]);
    }
    h.clock.advance(3600);
    await settleDue(getDb().db, deps.ctx, h.clock.now);
    const stored = await getDb().db.query.conversations.findMany({ with: { deliveries: true }, orderBy: asc(conversations.callKey) });
    const report = dryRun(bodies, dryRunContext(config));
    const ledger = stored.map((c) => view(c, c.deliveries[0] ? [c.deliveries[0].state === 'skipped' ? 'skip' : 'crm', c.deliveries[0].reason] : null));
    // A call that never ends (no final leg) is not settled, so it has no delivery yet.
    const expected = [...report.calls]
      .sort((a, b) => (a.callKey < b.callKey ? -1 : 1))
      .map((c) => view(c, c.final ? [c.deliver ? 'crm' : 'skip', c.skipReason] : null));
    expect(ledger).toEqual(expected);
  });
});
