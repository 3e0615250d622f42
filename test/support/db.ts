/**
 * A fresh, migrated database for one test file, on whichever engine the project runs
 * (CALLTRAIL_TEST_DB=pglite|postgres).
 */
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { sql } from 'drizzle-orm';
import { connectPostgres, type Db, type DbHandle } from '../../src/db/client';
import * as schema from '../../src/db/schema';
import { databaseUrl, TEST_DATABASE_URL } from './database-url';

export type TestDbKind = 'pglite' | 'postgres';

export function testDbKind(): TestDbKind {
  const kind = process.env.CALLTRAIL_TEST_DB;
  if (kind !== 'pglite' && kind !== 'postgres') throw new Error(`CALLTRAIL_TEST_DB must be pglite or postgres, got ${kind}`);
  return kind;
}

export interface TestDb extends DbHandle {
  /** postgres only: the URL of this file's database (for a second process to share it). */
  url?: string;
}

let counter = 0;

export async function createTestDb(): Promise<TestDb> {
  if (testDbKind() === 'pglite') {
    const blob = new Blob([readFileSync(inject('pgliteTemplate'))]);
    const client = await PGlite.create({ loadDataDir: blob });
    const db = drizzle(client, { schema }) as unknown as Db;
    return { db, kind: 'pglite', close: () => client.close() };
  }
  const name = `calltrail_t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${inject('postgresTemplate')}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const handle = connectPostgres(url, { max: 8 });
  return {
    ...handle,
    url,
    async close() {
      await handle.close();
      const dropper = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}

/**
 * One database for the test file, emptied before each test. Returns a getter: the database
 * exists only once beforeAll has run.
 */
export function useTestDb(): () => TestDb {
  let db: TestDb | undefined;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db?.db.execute(
      sql`truncate inbox_events, conversations, legs, recordings, deliveries, delivery_attempts, crm_accounts, pbx_cursors, reconcile_runs, live_calls, live_pops, originations, caller_cache, audit_log, users, api_tokens, sign_in_failures, used_one_time_tokens, erasures, recording_link_revocations, recording_policies, accounts, crm_budget_requests, crm_budget_state, dead_letters restart identity cascade`,
    );
  });
  return () => {
    if (!db) throw new Error('the test database is not open yet');
    return db;
  };
}
