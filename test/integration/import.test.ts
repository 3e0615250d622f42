/**
 * `calltrail import asterisk-csv` as a real process, into embedded PGlite (DATA_DIR) or the real
 * PostgreSQL server (DATABASE_URL): a generated Master.csv with a transfer chain, an empty
 * recording and a few broken rows lands in the ledger call by call; importing it again stores
 * nothing new; a dry run stores nothing; an unreadable file exits non-zero.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../src/db/client';
import { openDatabase } from '../../src/entry/node/database';
import { masterCsvLine, transferChain } from '../../src/pbx/asterisk/testing';
import { generateMasterCsv, type Generated } from '../../bench/import/generate';
import { seedMigratedDataDir } from '#test/data-dir';
import { createTestDb, testDbKind, type TestDb } from '#test/db';
import { conversationByKey, counts } from '#test/ledger';
import { runCommand } from '#test/process';
import { steps } from '#test/steps';

let dir: string;
let db: TestDb | undefined;
let env: Record<string, string>;
let file: string;
let generated: Generated;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-import-'));
  const recordings = join(dir, 'monitor');
  env = {
    DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    CONFIG: JSON.stringify({ time_zone: 'Europe/Moscow', sources: { asterisk: { recording_url: `${recordings}/{{file}}` } } }),
  };
  if (testDbKind() === 'postgres') {
    db = await createTestDb();
    env.DATABASE_URL = db.url ?? '';
  } else {
    // The embedded database, migrated already: the process's start-up is not what is tested here.
    await seedMigratedDataDir(dir);
  }
  file = join(dir, 'Master.csv');
  // About 1,200 rows: more than one batch at the default size (1,000) and at --batch-size 500.
  generated = generateMasterCsv(file, 1200, 7);
  const chain = transferChain('imp-1763622000');
  // The chain's first recording was an empty WAV header, visible on this host.
  mkdirSync(recordings, { recursive: true });
  writeFileSync(join(recordings, chain[0]!.recordingfile), Buffer.alloc(44));
  appendFileSync(file, `${chain.map((c) => masterCsvLine(c)).join('\n')}\n`);
  appendFileSync(file, '"not","a","cdr"\n');
  appendFileSync(file, `${masterCsvLine({ ...chain[1]!, uniqueid: 'bad.1', disposition: 'ON HOLD' })}\n`);
  appendFileSync(file, `${masterCsvLine({ ...chain[1]!, uniqueid: 'bad.2', disposition: 'ON HOLD' })}\n`);
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The process has exited: open its database to look (PGlite allows one process at a time). */
async function inspect<T>(look: (handle: DbHandle) => Promise<T>): Promise<T> {
  const handle = db ?? (await openDatabase({ dataDir: dir, migrate: false }));
  try {
    return await look(handle);
  } finally {
    if (!db) await handle.close();
  }
}

describe('calltrail import asterisk-csv', () => {
  describe('a Master.csv imported twice', () => {
    steps();
    const legs = () => generated.rows + 3;
    const calls = () => generated.calls + 1;

    it('stores every call once, and reports the rows it skipped', async () => {
      const first = await runCommand(['import', 'asterisk-csv', file], env);
      expect(first.err).not.toMatch(/error/i);
      expect(first.code).toBe(0);
      expect(first.out).toContain(`rows read:      ${(legs() + 3).toLocaleString('en-US')}`);
      expect(first.out).toContain(`conversations:  ${calls().toLocaleString('en-US')}`);
      expect(first.out).toContain(`legs:           ${legs().toLocaleString('en-US')}  (new ${legs().toLocaleString('en-US')}, duplicates 0)`);
      expect(first.out).toContain('skipped rows:   3');
      const last = legs() + 3;
      expect(first.out).toContain(`2 × disposition: expected ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION (line ${last - 1}, ${last})`);
      expect(first.out).toContain(`1 × expected 21 columns (csv_columns: full) (line ${last - 2})`);
    });

    it('leaves the transfer chain as one conversation in the ledger', async () => {
      await inspect(async ({ db: d }) => {
        expect(await counts(d)).toMatchObject({ inbox: legs(), conversations: calls(), legs: legs() });
        const chain = await conversationByKey(d, 'imp-1763622000.1');
        expect(chain).toMatchObject({ source: 'asterisk', extension: '205', legCount: 3, outcome: 'answered', direction: 'inbound' });
        expect(chain?.recordings.map((r) => r.status)).toEqual(['absent', 'referenced']);
        const sample = generated.sample;
        expect(sample).not.toBeNull();
        expect(await conversationByKey(d, sample?.linkedid ?? '')).toMatchObject({ extension: sample?.extension });
      });
    });

    it('finds every row a duplicate on a second import', async () => {
      const again = await runCommand(['import', 'asterisk-csv', file, '--batch-size', '500'], env);
      expect(again.code).toBe(0);
      expect(again.out).toContain(`(new 0, duplicates ${legs().toLocaleString('en-US')})`);
      await inspect(async ({ db: d }) => expect(await counts(d)).toMatchObject({ inbox: legs(), conversations: calls(), legs: legs() }));
    });
  });

  it('stores nothing on a dry run', async () => {
    const dry = await runCommand(['import', 'asterisk-csv', file, '--dry-run', '--time-zone', 'UTC'], { ...env, DATA_DIR: join(dir, 'unused') });
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/^dry run \(nothing stored\): asterisk-csv .* \(columns full, time zone UTC\)/);
  });

  it('exits 1 on an unreadable file', async () => {
    const missing = await runCommand(['import', 'asterisk-csv', join(dir, 'missing.csv')], env);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('cannot read');
    expect((await runCommand(['import', 'asterisk-csv', dir], env)).code).toBe(1);
  });

  it('exits 2 on a bad option or an unknown format', async () => {
    const bad = await runCommand(['import', 'asterisk-csv', file, '--columns', 'src,dst'], env);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('a column list needs start, end, disposition');
    expect((await runCommand(['import', 'freeswitch-json', file], env)).code).toBe(2);
  });
});
