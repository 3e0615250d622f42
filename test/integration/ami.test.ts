/**
 * The AMI listener against a fake Asterisk manager interface (a TCP server speaking AMI:
 * src/entry/node/ami-testing.ts) and the real parser and ledger: Cdr events become legs; a
 * dropped connection is taken up again and the events after it arrive; a refused login backs
 * off and stores nothing; an event received twice is a duplicate; the service starts the
 * listener when ASTERISK_AMI_URL is set and stops it cleanly (logoff, no reconnect); `calltrail
 * ami` runs it alone as a process until SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/settings/env';
import { defaultIntegratorConfig, type IntegratorConfig } from '../../src/settings/integrator';
import { inboxEvents, liveCalls } from '../../src/db/schema';
import { amiLiveTracker, amiStore, createAmiListener, type AmiListener, type AmiListenerOptions } from '../../src/entry/node/ami-listener';
import { startFakeAmi, type FakeAmi } from '../../src/entry/node/ami-testing';
import { startService } from '../../src/entry/node/server';
import { memoryLogger } from '../../src/lib/log';
import { amiEvent, celEvent, amiFixtureHeaders, amiFixtureMessages, missedCall, transferChain } from '../../src/pbx/asterisk/testing';
import { sourcesConfigSchema } from '../../src/pbx/sources-config';
import { harness } from '#test/app';
import { seedMigratedDataDir } from '#test/data-dir';
import { useTestDb } from '#test/db';
import { conversationByKey, counts } from '#test/ledger';
import { freePort } from '#test/process';
import { need, steps } from '#test/steps';

const getDb = useTestDb();
const config: IntegratorConfig = {
  ...defaultIntegratorConfig(),
  time_zone: 'Europe/Moscow',
  sources: sourcesConfigSchema.parse({ asterisk: { time_zone: 'Europe/Moscow' } }),
};

let fake: FakeAmi | undefined;
let listener: AmiListener | undefined;
afterEach(async () => {
  await listener?.stop();
  await fake?.close();
  listener = undefined;
  fake = undefined;
});

async function setup(options: Partial<AmiListenerOptions> = {}, secret?: string, withLive = false) {
  fake = await startFakeAmi();
  const h = harness(getDb(), { config, env: { ASTERISK_AMI_URL: fake.url } });
  const address = h.deps.settings.asteriskAmi!;
  listener = createAmiListener({
    address: secret ? { ...address, secret } : address,
    log: h.log,
    store: amiStore(h.deps),
    backoff: { initialMs: 20, maxMs: 200 },
    ...(withLive ? { live: amiLiveTracker(h.deps), ...(h.deps.now ? { now: h.deps.now } : {}) } : {}),
    ...options,
  });
  listener.start();
  return { h, fake, listener };
}

const until = async (what: string, ready: () => boolean | Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

const inboxRows = () => getDb().db.select().from(inboxEvents).where(eq(inboxEvents.source, 'asterisk'));

describe('AMI listener → ledger', () => {
  it('puts Cdr events into the ledger as legs of their calls, through the asterisk parser', async () => {
    const { fake: ami, listener: l } = await setup();
    await until('login', () => ami.loggedIn() === 1);
    // A transfer chain and a missed call, each CDR split across TCP segments.
    for (const cdr of [...transferChain(), ...missedCall()]) await ami.sendEvent(amiEvent(cdr), 50);
    await until('four events stored', () => l.stats.processed === 4);

    const db = getDb().db;
    const call = await conversationByKey(db, '1763622000.1');
    expect(call).toMatchObject({ source: 'asterisk', extension: '205', outcome: 'answered', legCount: 3 });
    expect(call?.legs.map((leg) => leg.legKey)).toEqual(['1763622000.1#1', '1763622000.1#3', '1763622000.3#2']);
    expect(await conversationByKey(db, '1763622300.5')).toMatchObject({ outcome: 'missed', extension: '100', legCount: 1 });
    const rows = await inboxRows();
    expect(rows.map((r) => [r.dedupeKey, r.status, r.meta])).toContainEqual([
      'ami:cdr:1763622000.1:1',
      'processed',
      { content_type: 'application/json', via: 'ami' },
    ]);
    expect(rows).toHaveLength(4);
  });

  it('takes a dropped connection up again, and the events sent after it arrive', async () => {
    const { fake: ami, listener: l, h } = await setup();
    const [first, second, third] = transferChain();
    await until('login', () => ami.loggedIn() === 1);
    await ami.sendEvent(amiEvent(first!));
    await until('the first event', () => l.stats.processed === 1);
    ami.dropAll();
    await until('a second login', () => ami.connections === 2 && ami.loggedIn() === 1);
    await ami.sendEvent(amiEvent(second!));
    await ami.sendEvent(amiEvent(third!));
    await until('the events after the drop', () => l.stats.processed === 3);
    expect(await conversationByKey(getDb().db, '1763622000.1')).toMatchObject({ legCount: 3 });
    expect(h.log.lines.some((line) => line.includes('AMI connection lost'))).toBe(true);
  });

  it('backs off after a refused login and stores nothing', async () => {
    const { fake: ami, listener: l, h } = await setup({ backoff: { initialMs: 40, maxMs: 320 }, authRetryMs: 0 }, 'not-the-secret');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await l.stop();
    const logins = ami.actions.filter((a) => a.action === 'login');
    expect(logins.length).toBeGreaterThanOrEqual(3);
    expect(logins.length).toBeLessThanOrEqual(10);
    expect(l.stats.logins).toBe(0);
    // Every refusal that came back was counted; the last login may still have been on its way
    // when the listener stopped (a busy machine answers it late).
    expect(l.stats.loginFailures).toBeGreaterThanOrEqual(logins.length - 1);
    expect(l.stats.loginFailures).toBeLessThanOrEqual(logins.length);
    expect(await counts(getDb().db)).toMatchObject({ inbox: 0 });
    expect(h.log.lines.join('\n')).toContain('login refused (Authentication failed)');
    expect(h.log.lines.join('\n')).not.toContain('not-the-secret');
  });

  it('stores an event received twice once: the second is a duplicate', async () => {
    const { fake: ami, listener: l } = await setup();
    const cdr = amiEvent(missedCall()[0]!);
    await until('login', () => ami.loggedIn() === 1);
    await ami.sendEvent(cdr);
    await until('stored', () => l.stats.processed === 1);
    // The same event again, after a reconnect (a second listener on the same Asterisk gets it too).
    ami.dropAll();
    await until('a second login', () => ami.connections === 2 && ami.loggedIn() === 1);
    await ami.sendEvent(cdr);
    await until('the duplicate', () => l.stats.duplicates === 1);
    expect(await counts(getDb().db)).toMatchObject({ inbox: 1, conversations: 1, legs: 1 });
  });

  // Needs the lead's parser change (`Event: CEL` with `EventName: LINKEDID_END` read as a
  // conversation-closed event): until it lands the parser refuses CEL objects and this fails.
  it('stores a LINKEDID_END CEL event (and no other CEL kind) as its own inbox body', async () => {
    const { fake: ami, listener: l } = await setup();
    await until('login', () => ami.loggedIn() === 1);
    for (const cdr of transferChain()) await ami.sendEvent(amiEvent(cdr));
    await until('the CDRs stored', () => l.stats.processed === 3);
    expect(await conversationByKey(getDb().db, '1763622000.1')).toMatchObject({ closedAt: null });
    await ami.sendEvent(celEvent('CHAN_END'));
    await ami.sendEvent(celEvent('LINKEDID_END'));
    await until('four events handled', () => l.stats.processed + l.stats.invalid === 4);
    expect(l.stats).toMatchObject({ events: 4, processed: 4, invalid: 0 });
    const [row] = await getDb()
      .db.select()
      .from(inboxEvents)
      .where(and(eq(inboxEvents.source, 'asterisk'), eq(inboxEvents.dedupeKey, 'ami:cel:1763622000.1:LINKEDID_END:2026-11-20 10:03:35:1763622000.1')));
    expect(row).toMatchObject({ status: 'processed', meta: { content_type: 'application/json', via: 'ami' } });
    expect(JSON.parse(row!.raw)).toMatchObject({ Event: 'CEL', EventName: 'LINKEDID_END', LinkedID: '1763622000.1' });
    // The conversation is closed by it.
    expect((await conversationByKey(getDb().db, '1763622000.1'))?.closedAt).toBeInstanceOf(Date);
  });
});

describe('AMI call events → live calls', () => {
  it('makes a live_calls row, ringing, of a DialBegin from a trunk, keyed by Linkedid like the call’s CDRs', async () => {
    const { fake: ami, listener: l } = await setup({}, undefined, true);
    await until('login', () => ami.loggedIn() === 1);
    // The real capture's first channel (from the trunk) and its DialBegin to SIP/777.
    const text = readFileSync(join(import.meta.dirname, '../../src/pbx/asterisk/fixtures/ami-queue-call.ami'), 'utf8');
    const events = amiFixtureMessages(text).filter((m) => ['Newchannel', 'DialBegin'].includes(m.headers[0]?.[1] ?? ''));
    for (const message of events) await ami.sendEvent(amiFixtureHeaders(message));
    await until('two live events stored', () => l.stats.processed + l.stats.invalid === 2);
    expect(l.stats).toMatchObject({ processed: 2, invalid: 0 });
    const rows = await getDb().db.select().from(liveCalls).where(eq(liveCalls.callKey, '1514295827.372'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ source: 'asterisk', state: 'ringing', direction: 'inbound', extensions: ['777'], line: '888999', answeredAt: null });
    const stored = await inboxRows();
    expect(stored.map((r) => r.dedupeKey).sort()).toEqual([
      'ami:live:1514295827.372:dialbegin:1514295827.372:1514295839.373',
      'ami:live:1514295827.372:newchannel:1514295827.372',
    ]);
    expect(stored.every((r) => r.status === 'processed')).toBe(true);
  });
});

describe('calltrail serve with ASTERISK_AMI_URL', () => {
  it('runs the listener with the service and stops it cleanly: logoff, events stored, no reconnect', async () => {
    fake = await startFakeAmi();
    const log = memoryLogger();
    const service = await startService({
      settings: parseEnv({ PORT: String(await freePort()), SETTLE_SECONDS: '30', ASTERISK_AMI_URL: fake.url }),
      config,
      database: getDb(),
      log,
      hostname: '127.0.0.1',
    });
    let stopped = false;
    try {
      await until('login', () => fake!.loggedIn() === 1);
      for (const cdr of transferChain()) await fake.sendEvent(amiEvent(cdr));
      await until('three legs', async () => (await counts(getDb().db)).legs === 3);
      await service.stop();
      stopped = true;
    } finally {
      if (!stopped) await service.stop();
    }
    expect(fake.actions.map((a) => a.action)).toEqual(['login', 'logoff']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.connections).toBe(1);
    const lines = log.lines.join('\n');
    expect(lines).toContain('AMI logged in');
    expect(lines).toContain('AMI listener stopped');
    // No phone number of the calls, no secret, in the logs.
    expect(lines).not.toMatch(/4951234567|ami-secret/);
  });

  it('does not start the listener without ASTERISK_AMI_URL', async () => {
    fake = await startFakeAmi();
    const service = await startService({
      settings: parseEnv({ PORT: String(await freePort()) }),
      config,
      database: getDb(),
      log: memoryLogger(),
      hostname: '127.0.0.1',
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await service.stop();
    expect(fake.connections).toBe(0);
  });
});

describe('calltrail ami', () => {
  // Steps of one run of the process (its own fake Asterisk: the file's afterEach closes `fake`).
  steps();
  let ami: FakeAmi | undefined;
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> | undefined;
  let dataDir = '';
  let err = '';
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await ami?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts as a process and logs in to AMI', async () => {
    ami = await startFakeAmi();
    const started = ami;
    dataDir = mkdtempSync(join(tmpdir(), 'calltrail-ami-'));
    const db = getDb();
    // PGlite: the child's database is migrated already (its start-up is not what is tested here).
    if (!db.url) await seedMigratedDataDir(dataDir);
    // PostgreSQL: this file's database, read back below; PGlite: the child's own, in a temporary directory.
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'debug',
      ASTERISK_AMI_URL: started.url,
      DATA_DIR: dataDir,
      ...(db.url ? { DATABASE_URL: db.url } : {}),
    };
    const running = spawn(process.execPath, [join(import.meta.dirname, '../../bin/calltrail.mjs'), 'ami'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = running;
    running.stderr.on('data', (d) => (err += d));
    exited = new Promise<number | null>((resolve) => running.on('exit', resolve));
    await until('the login', () => started.loggedIn() === 1 || running.exitCode !== null, 45_000);
    expect(running.exitCode, err).toBeNull();
  });

  it('follows AMI in the foreground, connection state on stderr, until SIGTERM', async () => {
    const started = need(ami, 'the fake AMI');
    const running = need(child, 'the calltrail ami process');
    await started.sendEvent(amiEvent(missedCall()[0]!));
    await until('the event received', () => err.includes('"msg":"AMI event received"'));
    // Stopped as a service manager would: the stop waits for the received event to be stored.
    running.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toContain('AMI logged in; following Cdr, CEL and call events');
    expect(err).toMatch(/"msg":"AMI listener stopped".*"processed":1/);
    expect(started.actions.map((a) => a.action)).toEqual(['login', 'logoff']);
    expect(err).not.toMatch(/ami-secret|4957654321/);
    const db = getDb();
    if (db.url) expect(await conversationByKey(db.db, '1763622300.5')).toMatchObject({ outcome: 'missed', legCount: 1 });
  });
});
