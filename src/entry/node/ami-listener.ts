/**
 * The AMI listener: follows Asterisk's manager interface (ASTERISK_AMI_URL) and puts each `Cdr`
 * event and each CEL event of a kind the parser reads into the inbox — the same JSON body, read by
 * the same parser, as the relayed-JSON push — with the event's own ids as dedupe key (a repeat is
 * a duplicate). The call events of calls with an outside party (Newchannel from a trunk,
 * DialBegin, DialEnd, BridgeEnter, Hangup) are stored too, as live moments keyed by Linkedid
 * (pbx/asterisk/ami-live.ts): the screen pop and the live view see the call ring. Run by `calltrail serve` when ASTERISK_AMI_URL is set, or alone by `calltrail ami`.
 *
 * AMI has no replay: what Asterisk raises while calltrail is not connected is lost to this path
 * (the Master.csv push or import, the FreePBX poller and the nightly reconciliation cover it). So
 * the listener reconnects at once and then with capped exponential back-off plus jitter — slower
 * after a refused login, which retrying will not fix — and stores events one at a time, in order,
 * retrying a store that failed (the database away) rather than dropping the event.
 * @module
 */
import { inboxDeps, type AppDeps } from '../../deps';
import { parseEnv, type AmiAddress } from '../../settings/env';
import { ingest, type IngestResult } from '../../ledger/inbox';
import type { Logger } from '../../lib/log';
import { afterLiveMoments, hasLiveMoments } from '../../live';
import { AmiLiveTracker, amiForward, type AmiForward } from '../../pbx/asterisk/ami-forward';
import { asteriskParser, csvReading } from '../../pbx/asterisk/parse';
import { InvalidPayloadError } from '../../pbx/source';
import { AmiSession, type SessionEnd } from './ami-session';

/** What became of one forwarded event. */
export type StoreOutcome = IngestResult['status'] | 'invalid';
export type AmiStore = (forward: AmiForward) => Promise<StoreOutcome>;

export interface AmiListenerOptions {
  address: AmiAddress;
  log: Logger;
  store: AmiStore;
  /** Forwards the call events of calls with an outside party as live moments; without it they are ignored. */
  live?: AmiLiveTracker;
  /** The clock a call event without Timestamp is dated by (its arrival). Default: the system's. */
  now?: () => Date;
  /** Reconnect back-off: the first delay, doubling up to the cap. Default 1 s → 60 s. */
  backoff?: { initialMs: number; maxMs: number };
  /** The least wait after a refused login. Default 30 s. */
  authRetryMs?: number;
  /** A connection up this long resets the back-off. Default 60 s. */
  stableMs?: number;
  loginTimeoutMs?: number;
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  maxMessageBytes?: number;
  /** Events waiting to be stored before new ones are dropped (the ledger is not taking them). Default 10 000. */
  maxQueued?: number;
  /** How long a stop waits for queued events to be stored. Default 10 s. */
  stopTimeoutMs?: number;
  random?: () => number;
}

export interface AmiStats {
  connects: number;
  logins: number;
  loginFailures: number;
  events: number;
  processed: number;
  duplicates: number;
  /** Stored, but applying failed: retried like any inbox body. */
  storedFailed: number;
  invalid: number;
  dropped: number;
}

export interface AmiListener {
  start(): void;
  /** Logs off, closes, and waits for the events received to be stored. */
  stop(): Promise<void>;
  readonly stats: AmiStats;
  /** Logged in right now. */
  readonly connected: boolean;
}

/** Capped exponential back-off with jitter: between half and all of min(max, initial·2^(attempt−1)). */
export function backoffDelay(attempt: number, backoff: { initialMs: number; maxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function createAmiListener(o: AmiListenerOptions): AmiListener {
  const backoff = o.backoff ?? { initialMs: 1000, maxMs: 60_000 };
  const log = o.log;
  const stats: AmiStats = { connects: 0, logins: 0, loginFailures: 0, events: 0, processed: 0, duplicates: 0, storedFailed: 0, invalid: 0, dropped: 0 };
  const queue = storeQueue(o, stats);
  const pause = wakeableSleep();
  let stopping = false;
  let session: AmiSession | undefined;
  let connected = false;
  let running: Promise<void> | undefined;

  const onEvent = (message: Parameters<typeof amiForward>[0]) => {
    const forward = amiForward(message, o.live, o.now?.() ?? new Date());
    if (!forward) return;
    stats.events++;
    // Names only (the values hold phone numbers): shows whether LinkedID and Sequence are mapped.
    log.debug('AMI event received', { kind: forward.kind, headers: message.headers.map(([key]) => key) });
    queue.push(forward);
  };

  async function connectOnce(): Promise<SessionEnd> {
    stats.connects++;
    session = new AmiSession({
      address: o.address,
      log,
      onEvent,
      onLogin: () => {
        stats.logins++;
        connected = true;
      },
      loginTimeoutMs: o.loginTimeoutMs ?? 10_000,
      pingIntervalMs: o.pingIntervalMs ?? 20_000,
      pingTimeoutMs: o.pingTimeoutMs ?? 10_000,
      ...(o.maxMessageBytes ? { maxMessageBytes: o.maxMessageBytes } : {}),
    });
    const end = await session.done;
    connected = false;
    session = undefined;
    return end;
  }

  async function loop() {
    let attempt = 0;
    while (!stopping) {
      const end = await connectOnce();
      if (stopping) break;
      if (end.authFailed) stats.loginFailures++;
      if (end.loggedIn && end.upMs >= (o.stableMs ?? 60_000)) attempt = 0;
      attempt++;
      let delay = backoffDelay(attempt, backoff, o.random);
      if (end.authFailed) delay = Math.max(delay, o.authRetryMs ?? 30_000);
      const fields = { reason: end.reason, retry_in_ms: delay, attempt, host: o.address.host, port: o.address.port };
      if (end.authFailed) log.error('AMI login refused; will try again', fields);
      else log.warn(end.loggedIn ? 'AMI connection lost; events until it is back are not received' : 'AMI connection failed', fields);
      await pause.sleep(delay);
    }
  }

  return {
    stats,
    get connected() {
      return connected;
    },
    start() {
      if (running) return;
      log.info('AMI listener started', { host: o.address.host, port: o.address.port });
      running = loop();
    },
    async stop() {
      stopping = true;
      pause.wake();
      await session?.close();
      await running;
      await queue.settle(o.stopTimeoutMs ?? 10_000);
      log.info('AMI listener stopped', { ...stats });
    },
  };
}

function wakeableSleep() {
  let wake: (() => void) | undefined;
  return {
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    wake: () => wake?.(),
  };
}

/**
 * Events stored one at a time, in the order Asterisk sent them. A store that throws (the
 * database away) is retried with back-off, so an event received is not dropped for a passing
 * fault; only past `maxQueued` waiting events are new ones dropped, so memory stays bounded.
 */
function storeQueue(o: AmiListenerOptions, stats: AmiStats) {
  const maxQueued = o.maxQueued ?? 10_000;
  const waiting: AmiForward[] = [];
  const pause = wakeableSleep();
  let draining: Promise<void> | undefined;
  let giveUp = false;

  const count = (outcome: StoreOutcome) => {
    if (outcome === 'processed') stats.processed++;
    else if (outcome === 'duplicate') stats.duplicates++;
    else if (outcome === 'stored') stats.storedFailed++;
    else stats.invalid++;
  };

  async function drain() {
    for (let failures = 0; waiting.length > 0 && !giveUp; ) {
      const next = waiting[0] as AmiForward;
      try {
        count(await o.store(next));
        waiting.shift();
        failures = 0;
      } catch (error) {
        failures++;
        const delay = backoffDelay(failures, { initialMs: 500, maxMs: 30_000 }, o.random);
        o.log.error('storing an AMI event failed; trying again', {
          kind: next.kind,
          dedupe_key: next.dedupeKey,
          waiting: waiting.length,
          retry_in_ms: delay,
          error,
        });
        await pause.sleep(delay);
      }
    }
    draining = undefined;
  }

  return {
    push(forward: AmiForward) {
      if (waiting.length >= maxQueued) {
        stats.dropped++;
        o.log.error('AMI event dropped: too many events wait to be stored', { kind: forward.kind, dedupe_key: forward.dedupeKey, waiting: waiting.length });
        return;
      }
      waiting.push(forward);
      draining ??= drain();
    },
    /** Waits for the queue to empty, at most `timeoutMs`; what is left then is lost (and logged). */
    async settle(timeoutMs: number) {
      if (!draining) return;
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
      if ((await Promise.race([draining, timeout])) === 'timeout') {
        giveUp = true;
        pause.wake();
        o.log.error('stopping with AMI events not stored', { left: waiting.length });
        stats.dropped += waiting.length;
        // The store in hand is not awaited: it may never end (that is why the stop timed out).
      }
    },
  };
}

/** Stores a forwarded event: parsed like the relayed JSON, ingested with its natural key. */
export function amiStore(deps: AppDeps): AmiStore {
  const inbox = inboxDeps(deps);
  const submit = deps.ingest ?? ((input) => ingest(inbox, input));
  const log = deps.log.child({ source: 'asterisk', via: 'ami' });
  const meta = { content_type: 'application/json', via: 'ami' };
  return async (forward) => {
    const arrivedAtMs = Date.now();
    let events;
    try {
      events = asteriskParser.parse(forward.raw, meta, inbox.ctx.parse);
    } catch (error) {
      // Nothing to retry: the event reads the same every time. Left to the CSV import and reconciliation.
      if (error instanceof InvalidPayloadError)
        log.warn('an AMI event calltrail cannot read was skipped', { kind: forward.kind, dedupe_key: forward.dedupeKey, problems: error.problems });
      else log.error('reading an AMI event failed; skipped', { kind: forward.kind, dedupe_key: forward.dedupeKey, error });
      return 'invalid';
    }
    const result = await submit({ source: 'asterisk', raw: forward.raw, meta, events, ...(forward.dedupeKey ? { dedupeKey: forward.dedupeKey } : {}) });
    if (result.status !== 'duplicate') deps.wakeDelivery?.();
    if (result.status === 'processed' && hasLiveMoments(events)) popInBackground(deps, events, arrivedAtMs);
    return result.status;
  };
}

/** A ringing call is shown to its users as the webhook path does, without holding up the events after it. */
function popInBackground(deps: AppDeps, events: Parameters<typeof afterLiveMoments>[2], arrivedAtMs: number): void {
  const work = afterLiveMoments(deps, 'asterisk', events, arrivedAtMs).catch((error: unknown) =>
    deps.log.error('screen pops failed', { source: 'asterisk', via: 'ami', error }),
  );
  deps.defer?.(work);
}

/** The live-moment filter of the listener, with the asterisk source's dialplan rules. */
export function amiLiveTracker(deps: AppDeps): AmiLiveTracker {
  return new AmiLiveTracker(csvReading(inboxDeps(deps).ctx.parse).dialplan);
}

/** The listener `calltrail serve` runs, when ASTERISK_AMI_URL is set. */
export function startAmiListener(deps: AppDeps): AmiListener | undefined {
  const address = deps.settings.asteriskAmi;
  if (!address) return undefined;
  const listener = createAmiListener({
    address,
    log: deps.log.child({ source: 'asterisk', via: 'ami' }),
    store: amiStore(deps),
    live: amiLiveTracker(deps),
    ...(deps.now ? { now: deps.now } : {}),
  });
  listener.start();
  return listener;
}

import { AMI_USAGE } from './usage';

export { AMI_USAGE };

/** `calltrail ami`: the listener alone, until SIGINT or SIGTERM; connection state on stderr. */
export async function amiCommand(args: string[], withDeps: <T>(run: (deps: AppDeps) => Promise<T>) => Promise<T>): Promise<number> {
  if (args.length > 0) throw new Error(`ami takes no arguments (got ${args.join(' ')}); the address is ASTERISK_AMI_URL`);
  // Checked before the database is opened.
  if (!parseEnv(process.env).asteriskAmi) throw new Error('ami needs ASTERISK_AMI_URL, e.g. tcp://calltrail:SECRET@127.0.0.1:5038 (a manager.conf user)');
  return withDeps(async (deps) => {
    const listener = startAmiListener(deps) as AmiListener;
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    deps.log.info('stopping', { signal });
    await listener.stop();
    return 0;
  });
}
