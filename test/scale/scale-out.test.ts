/**
 * Scale-out on Node (issue 17): three `calltrail serve` processes on one PostgreSQL database — a
 * web one and two workers — against the strict sandbox amoCRM (7 rps, a 403 block after repeated
 * 429s) in this process. Calls from unknown numbers (a contact search, a contact, a note each)
 * arrive while a reconciliation started on the web process lists 15,000 notes of the day, so two
 * processes spend the account's budget at once; the worker delivering is killed with SIGKILL in
 * the middle. Every call ends up on the CRM exactly once, its work taken over within
 * the lease time, and the CRM answers no 429: the account's budget is one, counted in the database.
 */
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, SECRET } from '#test/app';
import { createTestDb, type TestDb } from '#test/db';
import { callEnded } from '#test/events';
import { postSigned, type Service, startService } from '#test/process';
import { conversationUniq } from '../../src/ledger/versions';
import { type AmoSandbox, createAmoSandbox } from '../../src/sandbox';

const TOKEN = 'scale-out-long-lived-token';
const CALLS = 60;
/** 60 pages of 250 for the reconciliation to list: about 9 s of the account's budget on its own. */
const SEEDED_NOTES = 15_000;

let dir: string;
let db: TestDb;
let sandbox: AmoSandbox;
let server: Server;
let env: Record<string, string>;
const services: Service[] = [];

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The process holding the CRM account's delivery lease (`node:<host>:<pid>:<id>`). */
async function leaseHolder(): Promise<string | undefined> {
  const rows = (await db.db.execute(sql`select lease_owner from crm_accounts where lease_owner is not null`)) as unknown as { lease_owner: string }[];
  return rows[0]?.lease_owner;
}

/** Today in the config's zone (Europe/Moscow by default), as the reconciliation names days. */
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow' }).format(new Date());

/** Notes already on the timeline today that the reconciliation must list page by page. */
function seedNotes(count: number): void {
  const contact = sandbox.store.contacts()[0];
  if (!contact) throw new Error('the demo seed has no contact');
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < count; i++) {
    sandbox.store.addNote('contacts', {
      entity_id: contact.id,
      note_type: 'call_in',
      params: { uniq: `seeded-${i}`, duration: 30, source: 'another-pbx', phone: '+74951234567', link: '' },
      created_by: sandbox.store.currentUserId(),
      responsible_user_id: contact.responsible_user_id,
      created_at: now - 60,
      updated_at: now - 60,
    } as Parameters<AmoSandbox['store']['addNote']>[1]);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-scale-'));
  // amoCRM's limits — a block after five 429s — with one request per second of headroom over the
  // 7 rps calltrail is told (AMOCRM_RPS): this sandbox stamps arrivals on the event loop of a test
  // process that shares two cores with the rest of the suite, and a stall there bunches requests
  // that left calltrail evenly. Without the shared budget the processes send ~14 rps: 429s at once.
  sandbox = createAmoSandbox({ seed: 'demo', longLivedTokens: [TOKEN], rps: 8 });
  server = await new Promise((resolve) => {
    const s = serve({ fetch: sandbox.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  db = await createTestDb();
  env = {
    DATABASE_URL: db.url ?? '',
    DATA_DIR: dir,
    GENERIC_WEBHOOK_SECRET: SECRET,
    ADMIN_TOKEN,
    AMOCRM_BASE_URL: `http://127.0.0.1:${port}`,
    AMOCRM_LONG_LIVED_TOKEN: TOKEN,
    AMOCRM_RPS: '7',
    SETTLE_SECONDS: '1',
    DELIVERY_LEASE_SECONDS: '10',
    LOG_LEVEL: 'warn',
  };
  seedNotes(SEEDED_NOTES);
}, 60_000);

afterAll(async () => {
  const running = services.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
  await Promise.allSettled(running.map((s) => s.stop('SIGKILL')));
  server?.closeAllConnections?.();
  await new Promise((resolve) => server?.close(resolve));
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('three processes on one PostgreSQL, a reconciliation and a kill -9', () => {
  it('puts every call on the CRM exactly once and takes no 429', async () => {
    const web = await startService(env, 60_000, ['--role', 'web']);
    const first = await startService(env, 60_000, ['--role', 'worker']);
    services.push(web, first);
    // A worker answers its health check and nothing else.
    expect((await fetch(`${first.url}/v1/calls`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(404);

    // The run lists in the web process that started it; deliveries go from a worker.
    const started = await fetch(`${web.url}/v1/reconcile`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ date: today() }),
    });
    expect(started.status).toBeLessThan(300);

    const second = await startService(env, 60_000, ['--role', 'worker']);
    services.push(second);
    // Calls keep arriving, one every 150 ms, through the web process; a third of the way in, the
    // worker holding the account's delivery lease is killed.
    const now = Math.floor(Date.now() / 1000);
    const ids = Array.from({ length: CALLS }, (_, i) => `scale-${i}`);
    let victim: Service | undefined;
    for (const [i, id] of ids.entries()) {
      const from = `+7 999 ${String(300 + i).padStart(3, '0')}-00-00`;
      const call = callEnded({ call_id: id, from, started_at: now - 120 + i, answered_at: now - 110 + i, ended_at: now - 30 + i, recorded: false });
      expect((await postSigned(web.url, call, SECRET)).status).toBe(202);
      if (i === Math.floor(CALLS / 3)) {
        const holder = await until('a worker delivering', leaseHolder, 30_000);
        victim = services.find((s) => holder.includes(`:${s.child.pid}:`));
        expect(victim, holder).toBeDefined();
        expect(await victim?.stop('SIGKILL')).toBeNull();
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    const noted = () => ids.filter((id) => sandbox.store.notesByUniq(conversationUniq('generic', id)).length > 0).length;
    await until('every call on the CRM', () => (noted() === CALLS ? true : undefined), 90_000);
    for (const id of ids) expect(sandbox.store.notesByUniq(conversationUniq('generic', id)), id).toHaveLength(1);
    const stats = sandbox.stats();
    // The reconciliation listed notes while deliveries ran, and nobody crossed the account's limit.
    expect(Object.entries(stats.byRoute).some(([route, n]) => route.startsWith('GET') && route.includes('notes') && n > 3)).toBe(true);
    expect(stats.rateLimited).toBe(0);
    expect(stats.blockedRequests).toBe(0);
    // The survivors stop cleanly.
    for (const survivor of services.filter((s) => s !== victim)) expect(await survivor.stop()).toBe(0);
  }, 240_000);
});
