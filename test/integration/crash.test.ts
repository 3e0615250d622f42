/**
 * kill -9 in the middle of a batch: the real service process, the sandbox amoCRM as a separate
 * HTTP server that outlives it. The CRM has written the batch and is slow to answer when the
 * service dies; after a restart every call is on the CRM exactly once.
 */
import { serve, type ServerType } from '@hono/node-server';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmoSandbox, type AmoSandbox } from '../../src/sandbox';
import { conversationUniq } from '../../src/ledger/versions';
import { ADMIN_TOKEN, SECRET } from '#test/app';
import { seedMigratedDataDir } from '#test/data-dir';
import { createTestDb, testDbKind, type TestDb } from '#test/db';
import { callEnded } from '#test/events';
import { postSigned, startService, type Service } from '#test/process';
import { need, steps } from '#test/steps';

const TOKEN = 'crash-test-long-lived-token';
let dir: string;
let db: TestDb | undefined;
let sandbox: AmoSandbox;
let server: ServerType;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-crash-'));
  sandbox = createAmoSandbox({ seed: 'demo', longLivedTokens: [TOKEN], rps: 50 });
  server = await new Promise((resolve) => {
    const s = serve({ fetch: sandbox.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  env = {
    DATA_DIR: dir,
    GENERIC_WEBHOOK_SECRET: SECRET,
    ADMIN_TOKEN,
    AMOCRM_BASE_URL: `http://127.0.0.1:${port}`,
    AMOCRM_LONG_LIVED_TOKEN: TOKEN,
    AMOCRM_RPS: '50',
    DELIVERY_LEASE_SECONDS: '10',
    LOG_LEVEL: 'warn',
  };
  if (testDbKind() === 'postgres') {
    db = await createTestDb();
    env.DATABASE_URL = db.url ?? '';
  } else {
    // The embedded database, migrated already: the process's start-up is not what is tested here.
    await seedMigratedDataDir(dir);
  }
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a service killed with SIGKILL while the CRM holds a written batch', () => {
  steps();
  const ids = Array.from({ length: 120 }, (_, i) => `crash-${i}`);
  let service: Service | undefined;
  let restarted: Service | undefined;
  afterAll(async () => {
    for (const s of [service, restarted]) if (s && s.child.exitCode === null && s.child.signalCode === null) await s.stop('SIGKILL');
  });

  it('starts, the CRM storing every write at once and answering it 3 s later', async () => {
    // The crash lands in that gap.
    sandbox.setFaults({ seed: 9, rate: 1, kinds: { slow_after: 1 }, slowMs: 3000 });
    service = await startService(env);
  });

  it('takes 120 calls and is killed with SIGKILL once the CRM has written a batch', async () => {
    const running = need(service, 'the service');
    const now = Math.floor(Date.now() / 1000);
    for (const [i, id] of ids.entries()) {
      const from = ['+7 (495) 123-45-67', '8 916 555 12 34', `+7 999 200-00-0${i % 10}`][i % 3] as string;
      const res = await postSigned(
        running.url,
        callEnded({ call_id: id, from, started_at: now - 300 + i, answered_at: now - 290 + i, ended_at: now - 100 + i, recorded: false }),
        SECRET,
      );
      expect(res.status).toBe(202);
    }
    await until('a batch written by the CRM', () => sandbox.store.callNotes().length > 0 || undefined, 20_000);
    expect(await running.stop('SIGKILL')).toBeNull();
    const writtenBeforeCrash = sandbox.store.callNotes().length;
    expect(writtenBeforeCrash).toBeGreaterThan(0);
    expect(writtenBeforeCrash).toBeLessThan(ids.length);
  });

  it('starts again, the CRM answering at once', async () => {
    need(service, 'the killed service');
    sandbox.setFaults({ seed: 9, rate: 0 });
    restarted = await startService(env);
  });

  it('delivers every call exactly once after the restart', async () => {
    const running = need(restarted, 'the restarted service');
    await until(
      'every call delivered',
      async () => {
        const res = await fetch(`${running.url}/v1/crm`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).catch((error: Error) => {
          const state = running.child.exitCode ?? running.child.signalCode ?? 'still running';
          throw new Error(`the restarted service does not answer (${error.message}; process: ${state}):\n${running.output()}`);
        });
        const crm = (await res.json()) as { deliveries: Record<string, number> };
        return crm.deliveries.delivered === ids.length || undefined;
      },
      40_000,
    );
    expect(await running.stop()).toBe(0);
    for (const id of ids) expect(sandbox.store.notesByUniq(conversationUniq('generic', id)), id).toHaveLength(1);
    expect(sandbox.store.callNotes()).toHaveLength(ids.length);
  });

  it('made one contact per unknown caller, the crash notwithstanding', () => {
    need(restarted, 'the restarted service');
    for (let k = 0; k < 10; k++) {
      const digits = `7999200000${k}`;
      expect(
        sandbox.store.contacts().filter((c) => c.phones.some((p) => p.value.replace(/\D/g, '') === digits)),
        digits,
      ).toHaveLength(1);
    }
  });
});
