/**
 * The Node entry as a real process: migrations at start, a signed event in, graceful stop,
 * start-up refused with a clear message on bad configuration, and the CLI. Runs against
 * embedded PGlite (DATA_DIR) and against the real PostgreSQL server (DATABASE_URL).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, SECRET, TEST_SECRETS_KEYS } from '#test/app';
import { createTestDb, testDbKind, type TestDb } from '#test/db';
import { callEnded } from '#test/events';
import { fileServer, toneWav, type FileServer } from '#test/pbx-files';
import { postSigned, runCommand, startService, type Service } from '#test/process';
import { need, steps } from '#test/steps';
import { reconcileRuns } from '../../src/db/schema';
import { openDatabase } from '../../src/entry/node/database';

let dir: string;
let db: TestDb | undefined;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-node-'));
  env = { DATA_DIR: dir, GENERIC_WEBHOOK_SECRET: SECRET, ADMIN_TOKEN, LOG_LEVEL: 'info' };
  if (testDbKind() === 'postgres') {
    db = await createTestDb();
    env.DATABASE_URL = db.url ?? '';
    // A server database holds secrets only sealed with keys from the environment (README "Access and privacy").
    env.SECRETS_KEYS = TEST_SECRETS_KEYS;
  }
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('calltrail serve', () => {
  describe('a signed event, a clean stop and a restart', () => {
    steps();
    // The PBX's recording server, on this machine: allowed by the config (LAN addresses included).
    let pbx: FileServer | undefined;
    let service: Service | undefined;
    afterAll(async () => {
      await pbx?.close();
      if (service && service.child.exitCode === null && service.child.signalCode === null) await service.stop('SIGKILL');
    });

    it('starts, migrating its database', async () => {
      pbx = await fileServer();
      pbx.put('/monitor/proc-1.wav', toneWav(5));
      const config = join(dir, 'recordings.json');
      writeFileSync(config, JSON.stringify({ recordings: { allowed_hosts: { generic: [pbx.host] }, allow_private_hosts: true } }));
      service = await startService({ ...env, CONFIG_FILE: config });
      expect((await fetch(`${service.url}/health`)).status).toBe(200);
    });

    it('takes a signed event onto the sandbox CRM’s timeline with its MP3', async () => {
      const { url } = need(service, 'the service');
      const now = Math.floor(Date.now() / 1000);
      const res = await postSigned(
        url,
        callEnded({
          call_id: 'proc-1',
          started_at: now - 60,
          answered_at: now - 50,
          ended_at: now - 1,
          recording: { id: 'r', url: need(pbx, 'the recording server').url('/monitor/proc-1.wav') },
        }),
        SECRET,
      );
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ status: 'processed' });
      // No CRM configured: the call lands on the sandbox amoCRM's demo contact, with a player for its MP3.
      const deadline = Date.now() + 15_000;
      let page = '';
      while (Date.now() < deadline && !/<audio[^>]+\/recordings\//.test(page)) {
        page = await (await fetch(`${url}/sandbox/amocrm/`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(page).toContain('Ivan Petrov');
      const link = /<audio[^>]*src="([^"]+)"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
      expect(link).toMatch(/^http:\/\/localhost:\d+\/recordings\/[0-9a-f-]{36}\.mp3\?k=db1&s=[0-9a-f]{64}$/);
      const mp3 = await fetch(link as string, { headers: { range: 'bytes=0-' } });
      expect(mp3.status).toBe(206);
      expect(mp3.headers.get('content-type')).toBe('audio/mpeg');
      expect((await mp3.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    });

    it('stops cleanly on SIGTERM, and its log holds no phone number', async () => {
      const running = need(service, 'the service');
      await pbx?.close();
      pbx = undefined;
      expect(await running.stop()).toBe(0);
      expect(running.output()).toContain('"msg":"calltrail listening"');
      expect(running.output()).toContain('"msg":"stopping"');
      expect(running.output()).not.toMatch(/495.?123.?45.?67|4951234567/);
    });

    it('keeps the delivered call across a restart', async () => {
      need(service, 'the first run');
      service = await startService(env);
      const calls = await fetch(`${service.url}/v1/calls?phone=%2B74951234567`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const body = (await calls.json()) as { items: { call_key: string; delivery_state: string }[] };
      expect(body.items).toMatchObject([{ call_key: 'proc-1', delivery_state: 'delivered' }]);
      expect(await service.stop()).toBe(0);
    });
  });

  it('refuses to start on a malformed variable, naming it', async () => {
    const result = await runCommand(['serve'], { ...env, PORT: 'eighty', SETTLE_SECONDS: '-5' });
    expect(result.code).toBe(1);
    expect(result.err).toContain('PORT: expected a TCP port (an integer from 1 to 65535), got "eighty"');
    expect(result.err).toContain('SETTLE_SECONDS: expected seconds');
  });

  it('refuses to start on a bad config file, pointing at the value', async () => {
    const file = join(dir, 'calltrail.yaml');
    writeFileSync(file, 'default_country: Russia\n');
    const result = await runCommand(['serve'], { ...env, CONFIG_FILE: file });
    expect(result.code).toBe(1);
    expect(result.err).toContain(`${file} is invalid`);
    expect(result.err).toContain('default_country: expected an ISO 3166-1 alpha-2 country code');
    const missing = await runCommand(['serve'], { ...env, CONFIG_FILE: join(dir, 'nope.json') });
    expect(missing.err).toMatch(/CONFIG_FILE is invalid:\n {2}- cannot read .*nope\.json/);
  });

  // Only the embedded database has this hazard; on PostgreSQL the test does not exist (not skipped).
  if (testDbKind() === 'pglite')
    it('refuses a second process on the same embedded database', async () => {
      const first = await startService(env);
      try {
        const second = await runCommand(['migrate'], env);
        expect(second.code).toBe(1);
        expect(second.err).toMatch(/in use by process \d+/);
      } finally {
        await first.stop();
      }
    });
});

// One `calltrail` process per test (the inbox holds the event of the serve scenario above).
describe('calltrail CLI', () => {
  it('migrates', async () => {
    expect(await runCommand(['migrate'], env)).toMatchObject({ code: 0, out: 'migrations applied\n' });
  });

  it('signs a body', async () => {
    const signed = await runCommand(['sign', '--secret', SECRET], env, '{"a":1}');
    expect(signed.code).toBe(0);
    expect(signed.out).toMatch(/^t=\d+,v1=[0-9a-f]{64}\n$/);
  });

  it('ticks', async () => {
    const tick = await runCommand(['tick'], env);
    expect(tick.code).toBe(0);
    expect(JSON.parse(tick.out)).toEqual({ retried: 0, stillFailing: 0, settled: expect.any(Number), linked: 0, archived: 0, built: 0 });
  });

  it('lists the inbox, and asks for ids to reprocess', async () => {
    const list = await runCommand(['inbox', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/\tgeneric\tprocessed\tattempts=1\t/);

    const usage = await runCommand(['inbox', 'reprocess'], env);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('inbox reprocess needs ids or --all-failed');
  });

  it('refuses deliver and reconcile in sandbox mode with one line, exit 1, and stores no run', async () => {
    for (const args of [['deliver'], ['reconcile', '--date', '2026-12-01']]) {
      const result = await runCommand(args, env);
      expect(result.code).toBe(1);
      expect(result.out).toBe('');
      expect(result.err.trim().split('\n')).toEqual([expect.stringContaining(`calltrail: ${args[0]}: no CRM configured`)]);
    }
    const handle = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: dir, migrate: false });
    try {
      expect(await handle.db.select({ id: reconcileRuns.id }).from(reconcileRuns)).toEqual([]);
    } finally {
      await handle.close();
    }
  });
});
