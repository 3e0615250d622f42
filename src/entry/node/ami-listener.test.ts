import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../../settings/env';
import { ConfigError } from '../../config/errors';
import { memoryLogger } from '../../lib/log';
import { amiHeader } from '../../pbx/asterisk/ami-wire';
import { AmiLiveTracker, type AmiForward } from '../../pbx/asterisk/ami-forward';
import { asteriskParser, csvReading } from '../../pbx/asterisk/parse';
import { amiEvent, celEvent, amiFixtureHeaders, amiFixtureMessages, transferChain } from '../../pbx/asterisk/testing';
import { sourcesConfigSchema } from '../../pbx/sources-config';
import { backoffDelay, createAmiListener, type AmiListener, type AmiListenerOptions, type StoreOutcome } from './ami-listener';
import { startFakeAmi, type FakeAmi } from './ami-testing';

const cdr = amiEvent(transferChain()[0]!);

let fake: FakeAmi | undefined;
let listener: AmiListener | undefined;
afterEach(async () => {
  await listener?.stop();
  await fake?.close();
  listener = undefined;
  fake = undefined;
});

/** A listener on the fake server's address; `secret` replaces the one the server expects. */
function listen(server: FakeAmi, options: Partial<AmiListenerOptions> = {}, wrongSecret?: string) {
  const log = memoryLogger();
  const stored: AmiForward[] = [];
  const store =
    options.store ??
    (async (f: AmiForward): Promise<StoreOutcome> => {
      stored.push(f);
      return 'processed';
    });
  const address = parseEnv({ ASTERISK_AMI_URL: server.url }).asteriskAmi!;
  listener = createAmiListener({
    address: { ...address, ...(wrongSecret ? { secret: wrongSecret } : {}) },
    log,
    backoff: { initialMs: 20, maxMs: 200 },
    ...options,
    store,
  });
  listener.start();
  return { log, stored, listener };
}

const until = (what: string, ready: () => boolean, ms = 5000) => fake!.waitFor(what, ready, ms);

describe('backoffDelay', () => {
  it('doubles from the first delay up to the cap, jittered between half and all of it', () => {
    const b = { initialMs: 1000, maxMs: 60_000 };
    expect([1, 2, 3, 4, 7, 8, 30].map((n) => backoffDelay(n, b, () => 1))).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
    expect(backoffDelay(3, b, () => 0)).toBe(2000);
    expect(backoffDelay(3, b, () => 0.5)).toBe(3000);
  });
});

describe('AMI listener', () => {
  it('logs in for the cdr and call classes and forwards Cdr and LINKEDID_END events, whatever the chunking', async () => {
    fake = await startFakeAmi();
    const { stored, listener: l } = listen(fake);
    await until('login', () => fake!.loggedIn() === 1 && l.connected);
    const login = fake.actions.find((a) => a.action === 'login')!.message;
    expect([amiHeader(login, 'Username'), amiHeader(login, 'Secret'), amiHeader(login, 'Events')]).toEqual(['calltrail', 'ami-secret', 'cdr,call']);

    await fake.sendEvent({ Event: 'Newchannel', Privilege: 'call,all', Channel: 'PJSIP/trunk-00000001', Uniqueid: '1763622000.1' });
    await fake.sendEvent(cdr, 7);
    await fake.sendEvent(celEvent('CHAN_START'), 1);
    await fake.sendEvent(celEvent('LINKEDID_END'), 3);
    await until('two events stored', () => stored.length === 2);
    expect(stored).toEqual([
      { kind: 'cdr', raw: JSON.stringify(cdr), dedupeKey: 'ami:cdr:1763622000.1:1' },
      { kind: 'cel', raw: JSON.stringify(celEvent('LINKEDID_END')), dedupeKey: 'ami:cel:1763622000.1:LINKEDID_END:2026-11-20 10:03:35:1763622000.1' },
    ]);
    expect(l.stats).toMatchObject({ connects: 1, logins: 1, events: 2, processed: 2 });
  });

  it('forwards the call events of an outside call as live moments keyed by Linkedid, and none of an internal call', async () => {
    fake = await startFakeAmi();
    const parseCtx = { timeZone: 'Europe/Moscow', sources: sourcesConfigSchema.parse({}) };
    const live = new AmiLiveTracker(csvReading(parseCtx).dialplan);
    const { stored, log, listener: l } = listen(fake, { live });
    await until('login', () => fake!.loggedIn() === 1 && l.connected);
    const file = (name: string) => readFileSync(new URL(`../../pbx/asterisk/fixtures/${name}`, import.meta.url), 'utf8');
    // A real capture (inbound through a queue to SIP/777), then an internal call 100 → 101 of the documented events.
    const queueCall = amiFixtureMessages(file('ami-queue-call.ami'));
    const internal = amiFixtureMessages(file('ami-documented-calls.ami')).filter((m) => amiHeader(m, 'Linkedid') === '1763630200.20');
    expect(internal).toHaveLength(6);
    for (const message of [...queueCall, ...internal]) await fake.sendEvent(amiFixtureHeaders(message), 40);
    await fake.sendEvent(cdr);
    await until('the live events and the Cdr stored', () => stored.some((f) => f.kind === 'cdr'));
    const moments = stored
      .filter((f) => f.kind === 'live')
      .flatMap((f) => asteriskParser.parse(f.raw, { content_type: 'application/json', via: 'ami' }, parseCtx))
      .map((e) => (e.kind === 'live' ? [e.callKey, e.state, e.direction, e.extensions] : e.kind));
    expect(moments).toEqual([
      ['1514295827.372', 'ringing', 'inbound', []],
      ['1514295827.372', 'ringing', 'inbound', ['777']],
      ['1514295827.372', 'answered', 'inbound', ['777']],
      ['1514295827.372', 'answered', null, ['777']],
      ['1514295827.372', 'ended', null, []],
    ]);
    expect(l.stats).toMatchObject({ events: 6, processed: 6 });
    // Header names only in the logs, never the numbers.
    expect(log.lines.join('\n')).not.toMatch(/888999|Eugene/);
  });

  it('reconnects after the connection drops, and receives the events sent after it', async () => {
    fake = await startFakeAmi();
    const { stored, log } = listen(fake);
    await until('login', () => fake!.loggedIn() === 1);
    fake.dropAll();
    await until('a second login', () => fake!.connections === 2 && fake!.loggedIn() === 1);
    await fake.sendEvent(cdr);
    await until('the event', () => stored.length === 1);
    expect(log.lines.some((l) => l.includes('AMI connection lost') && l.includes('connection closed by Asterisk'))).toBe(true);
  });

  it('backs off after a refused login, says why, and never logs the secret', async () => {
    fake = await startFakeAmi();
    const { log, listener: l } = listen(fake, { backoff: { initialMs: 40, maxMs: 320 }, authRetryMs: 0 }, 'wrong-secret');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const logins = fake.actions.filter((a) => a.action === 'login').map((a) => a.at);
    // Waits of 20–40, 40–80, 80–160, then 160–320 ms (40·2^n capped, jittered): at most 10 logins in 1.2 s, where a tight loop makes hundreds.
    expect(logins.length).toBeGreaterThanOrEqual(3);
    expect(logins.length).toBeLessThanOrEqual(10);
    const gaps = logins.slice(1).map((t, i) => t - (logins[i] as number));
    expect(gaps[2]).toBeGreaterThanOrEqual(75);
    expect(l.stats.loginFailures).toBe(logins.length);
    expect(l.connected).toBe(false);
    const refused = log.lines.find((line) => line.includes('AMI login refused'));
    expect(refused).toContain('login refused (Authentication failed): check the user and secret of ASTERISK_AMI_URL');
    expect(log.lines.join('\n')).not.toContain('wrong-secret');
  });

  it('waits at least authRetryMs after a refused login', async () => {
    fake = await startFakeAmi();
    listen(fake, { authRetryMs: 60_000 }, 'wrong-secret');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fake.actions.filter((a) => a.action === 'login')).toHaveLength(1);
  });

  it('drops a connection whose Pings go unanswered, and connects again', async () => {
    fake = await startFakeAmi({ answerPings: false });
    const { log } = listen(fake, { pingIntervalMs: 50, pingTimeoutMs: 100 });
    await until('a reconnect', () => fake!.connections >= 2, 3000);
    expect(log.lines.some((l) => l.includes('no answer to Ping within 0.1 s'))).toBe(true);
    expect(fake.actions.some((a) => a.action === 'ping')).toBe(true);
  });

  it('keeps a connection whose Pings are answered', async () => {
    fake = await startFakeAmi();
    listen(fake, { pingIntervalMs: 30, pingTimeoutMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(fake.actions.filter((a) => a.action === 'ping').length).toBeGreaterThan(3);
    expect(fake.connections).toBe(1);
  });

  it('stops cleanly: logs off, stores what it received, does not reconnect', async () => {
    fake = await startFakeAmi();
    const stored: string[] = [];
    const l = listen(fake, {
      store: async (f) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        stored.push(f.dedupeKey ?? '');
        return 'processed';
      },
    }).listener;
    await until('login', () => fake!.loggedIn() === 1);
    await fake.sendEvent(cdr);
    await until('the event received', () => l.stats.events === 1);
    await l.stop();
    listener = undefined;
    expect(stored).toEqual(['ami:cdr:1763622000.1:1']);
    expect(fake.actions.map((a) => a.action)).toEqual(['login', 'logoff']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(fake.connections).toBe(1);
    expect(fake.loggedIn()).toBe(0);
  });

  it('tries a failed store again instead of dropping the event', async () => {
    fake = await startFakeAmi();
    let calls = 0;
    const { listener: l, log } = listen(fake, {
      store: async () => {
        if (++calls < 3) throw new Error('connection refused (database)');
        return 'processed';
      },
      random: () => 0,
    });
    await until('login', () => fake!.loggedIn() === 1);
    await fake.sendEvent(cdr);
    await until('stored on the third try', () => l.stats.processed === 1, 4000);
    expect(calls).toBe(3);
    expect(log.lines.filter((line) => line.includes('storing an AMI event failed'))).toHaveLength(2);
  });

  it('drops events past maxQueued while the store is stuck, and says so', async () => {
    fake = await startFakeAmi();
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const { listener: l, log } = listen(fake, {
      maxQueued: 2,
      store: async () => {
        await stuck;
        return 'processed';
      },
    });
    await until('login', () => fake!.loggedIn() === 1);
    for (const sequence of ['1', '2', '3']) await fake.sendEvent({ ...cdr, Sequence: sequence });
    await until('three events', () => l.stats.events === 3);
    expect(l.stats.dropped).toBe(1);
    expect(log.lines.filter((line) => line.includes('AMI event dropped: too many events wait to be stored'))).toHaveLength(1);
    release();
    await until('two stored', () => l.stats.processed === 2);
  });

  it('refuses a server that is not AMI', async () => {
    fake = await startFakeAmi({ banner: 'SSH-2.0-OpenSSH_9.6' });
    const { log } = listen(fake);
    await until('a failed attempt logged', () => log.lines.some((l) => l.includes('AMI connection failed')));
    expect(log.lines.find((l) => l.includes('AMI connection failed'))).toContain('not an Asterisk manager interface');
    expect(fake.actions).toEqual([]);
  });
});

describe('ASTERISK_AMI_URL', () => {
  const problems = (value: string) => {
    try {
      parseEnv({ ASTERISK_AMI_URL: value });
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  it('is the address and the manager.conf user, port 5038 by default, user and secret percent-decoded', () => {
    expect(parseEnv({ ASTERISK_AMI_URL: 'tcp://calltrail:p%40ss%2Fword@10.0.0.5' }).asteriskAmi).toEqual({
      host: '10.0.0.5',
      port: 5038,
      username: 'calltrail',
      secret: 'p@ss/word',
    });
    expect(parseEnv({ ASTERISK_AMI_URL: 'tcp://u:s@[::1]:6038/' }).asteriskAmi).toEqual({ host: '::1', port: 6038, username: 'u', secret: 's' });
    expect(parseEnv({}).asteriskAmi).toBeUndefined();
  });

  it('names the variable and the form, without echoing the secret', () => {
    expect(problems('http://calltrail:hunter2@pbx:5038')).toEqual([
      expect.stringMatching(/^ASTERISK_AMI_URL: expected tcp:\/\/user:secret@host.*starting with tcp:\/\/, got "http:\/\/calltrail:\*\*\*@pbx:5038"$/),
    ]);
    expect(problems('tcp://pbx:5038')[0]).toContain('the user or the secret is missing');
    expect(problems('tcp://u:s@pbx:5038/manager')[0]).toContain('nothing after the port');
    expect(problems('tcp://u:hunter2@pbx:99999').join()).not.toContain('hunter2');
    // A line break would end the Secret header and start another one.
    expect(problems('tcp://u:x%0D%0AAction%3A%20Originate@pbx')[0]).toContain('cannot hold a line break');
  });
});
