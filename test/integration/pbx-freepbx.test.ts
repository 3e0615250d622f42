/**
 * The FreePBX poller against a real MariaDB (127.0.0.1:3306, root): a database with FreePBX's
 * `cdr` table is created for this file and dropped after it. Rows of a transfer chain, a missed
 * call and a call with an empty recording are read into the ledger; a row written late with an
 * old calldate is still found; a restart reads nothing twice; a first run from the beginning
 * catches up over several cycles; `calltrail serve`'s service runs and stops the poller.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultIntegratorConfig, type IntegratorConfig } from '../../src/settings/integrator';
import { pbxCursors } from '../../src/db/schema';
import { createFreepbxPoller, type FreepbxPoller } from '../../src/entry/node/freepbx-poller';
import { startService } from '../../src/entry/node/server';
import { memoryLogger } from '../../src/lib/log';
import { missedCall, transferChain } from '../../src/pbx/asterisk/testing';
import { freepbxConfigSchema } from '../../src/pbx/freepbx/config';
import { sourcesConfigSchema } from '../../src/pbx/sources-config';
import { harness } from '#test/app';
import { freePort } from '#test/process';
import { useTestDb } from '#test/db';
import { useFreepbxDb } from '#test/freepbx-db';
import { conversationByKey, counts } from '#test/ledger';
import { sql } from 'drizzle-orm';
import { parseEnv } from '../../src/settings/env';

const freepbxDb = useFreepbxDb('poller');
const DATABASE_URL = freepbxDb.url;
const insert = freepbxDb.insert;
let recordingsDir: string;
const getDb = useTestDb();

beforeAll(() => {
  recordingsDir = mkdtempSync(join(tmpdir(), 'calltrail-freepbx-'));
});
afterAll(() => {
  rmSync(recordingsDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await getDb().db.execute(sql`truncate pbx_cursors`);
});

function setup(freepbx: Record<string, unknown> = {}) {
  const options = {
    database_url: DATABASE_URL,
    time_zone: 'Europe/Moscow',
    batch_size: 2,
    lookback_minutes: 60,
    recording_url: `${recordingsDir}/{{file}}`,
    ...freepbx,
  };
  const config: IntegratorConfig = { ...defaultIntegratorConfig(), sources: sourcesConfigSchema.parse({ freepbx: options }) };
  // 09:59 in Moscow: the poller's first run starts reading from this minute.
  const h = harness(getDb(), { config, start: new Date('2026-11-20T06:59:30Z') });
  const poller = () => createFreepbxPoller(h.deps, { ...freepbxConfigSchema.parse(options), database_url: DATABASE_URL });
  return { h, poller };
}

async function stopping<T>(poller: FreepbxPoller, run: (p: FreepbxPoller) => Promise<T>): Promise<T> {
  try {
    return await run(poller);
  } finally {
    await poller.stop();
  }
}

const cursorOf = async () => (await getDb().db.select().from(pbxCursors).where(eq(pbxCursors.source, 'freepbx')))[0]?.position;

describe('FreePBX poller', () => {
  it('reads a transfer chain, a missed call and a row written late into the ledger; a restart reads nothing twice', async () => {
    const { poller } = setup();
    const db = getDb().db;
    const chain = transferChain();
    // A call from before the first run: start_from "now" leaves it alone.
    await insert(transferChain('1763610000', '2026-11-20').map((c) => ({ ...c, start: c.start.replace(' 10:', ' 09:') })));
    // An answered call whose recording is an empty WAV header this host can see.
    const empty = {
      ...missedCall('1763622900')[0]!,
      start: '2026-11-20 10:04:00',
      answer: '2026-11-20 10:04:02',
      end: '2026-11-20 10:04:10',
      duration: 10,
      billsec: 8,
      disposition: 'ANSWERED',
      recordingfile: 'empty.wav',
    };
    writeFileSync(join(recordingsDir, 'empty.wav'), Buffer.alloc(44));

    await stopping(poller(), async (p) => {
      expect(await p.pollOnce()).toMatchObject({ rows: 0, stored: 0 });
      // The caller's first CDR is written last (at its hangup), dated 10:00:00.
      await insert([chain[1]!, chain[2]!, ...missedCall(), empty]);
      expect(await p.pollOnce()).toEqual({ rows: 4, stored: 4, duplicates: 0, invalid: 0, more: false });
      expect(await cursorOf()).toMatchObject({ floor: '2026-11-20 09:59', watermark: '2026-11-20 10:05' });
      await insert([chain[0]!]);
      // Its minute is read again: the CDRs of 10:00:20 and 10:00:35 come back as duplicates.
      expect(await p.pollOnce()).toEqual({ rows: 3, stored: 1, duplicates: 2, invalid: 0, more: false });
      expect(await p.pollOnce()).toMatchObject({ rows: 0 });
    });

    const call = await conversationByKey(db, '1763622000.1');
    // FreePBX's rows are Asterisk CDRs: their conversations live under asterisk, whichever path brought them.
    expect(call).toMatchObject({
      source: 'asterisk',
      direction: 'inbound',
      externalNumber: '+74951234567',
      extension: '205',
      outcome: 'answered',
      legCount: 3,
    });
    expect(call?.legs.map((l) => [l.legKey, l.extension, l.talkSeconds, l.final])).toEqual([
      ['1763622000.1#1', '100', 30, true],
      ['1763622000.1#3', '205', 180, true],
      ['1763622000.3#2', '205', 10, false],
    ]);
    expect(call?.recordings.map((r) => [r.originUrl, r.status])).toEqual([
      [`${recordingsDir}/in-74951234567-100-20261120-100000-1763622000.1.wav`, 'referenced'],
      [`${recordingsDir}/in-74951234567-205-20261120-100035-1763622000.1.wav`, 'referenced'],
    ]);
    expect(await conversationByKey(db, '1763622300.5')).toMatchObject({ outcome: 'missed', extension: '100', legCount: 1 });
    const silent = await conversationByKey(db, '1763622900.5');
    expect(silent).toMatchObject({ outcome: 'answered', awaitingRecordings: false });
    expect(silent?.recordings.map((r) => r.status)).toEqual(['absent']);
    expect(await conversationByKey(db, '1763610000.1')).toBeUndefined();
    const before = await counts(db);
    expect(before).toMatchObject({ inbox: 5, conversations: 3, legs: 5 });

    // A new process: the cursor is read back; nothing is read or stored again.
    await stopping(poller(), async (p) => expect(await p.pollOnce()).toEqual({ rows: 0, stored: 0, duplicates: 0, invalid: 0, more: false }));
    expect(await counts(db)).toEqual(before);
  });

  it('catches up from the beginning in several cycles, skipping rows it cannot read', async () => {
    const { poller } = setup({ start_from: 'beginning', lookback_minutes: 30 });
    const calls = Array.from({ length: 12 }, (_, i) =>
      missedCall(`17636${String(i).padStart(5, '0')}`, '2026-11-19').map((c) => ({
        ...c,
        start: `2026-11-19 ${String(8 + i).padStart(2, '0')}:05:00`,
        end: `2026-11-19 ${String(8 + i).padStart(2, '0')}:05:20`,
      })),
    ).flat();
    await insert([...calls, { ...calls[0]!, uniqueid: 'bad.1', linkedid: 'bad.1', disposition: 'ON HOLD' }]);
    const reports = await stopping(poller(), async (p) => {
      const all = [];
      for (let i = 0; i < 20; i++) {
        const report = await p.pollOnce();
        all.push(report);
        if (!report.more) break;
      }
      return all;
    });
    expect(reports.length).toBeGreaterThan(1);
    expect(reports.at(-1)?.more).toBe(false);
    expect(reports.reduce((n, r) => n + r.stored, 0)).toBe(12);
    expect(reports.reduce((n, r) => n + r.invalid, 0)).toBeGreaterThanOrEqual(1);
    expect(await counts(getDb().db)).toMatchObject({ conversations: 12, legs: 12, inbox: 12 });
  });

  it('runs inside the service when database_url is set, and stops with it', async () => {
    const { h } = setup({ poll_seconds: 1, start_from: 'beginning' });
    await insert(transferChain());
    const log = memoryLogger('info');
    const service = await startService({
      settings: parseEnv({ PORT: String(await freePort()), SETTLE_SECONDS: '30' }),
      config: h.deps.config,
      database: getDb(),
      log,
      hostname: '127.0.0.1',
    });
    try {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && (await counts(getDb().db)).legs < 3) await new Promise((r) => setTimeout(r, 100));
      expect(await conversationByKey(getDb().db, '1763622000.1')).toMatchObject({ legCount: 3, extension: '205' });
    } finally {
      await service.stop();
    }
    const lines = log.lines.join('\n');
    expect(lines).toContain('freepbx poller started');
    expect(lines).not.toMatch(/4951234567/);
  });
});
