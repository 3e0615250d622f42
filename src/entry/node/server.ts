/**
 * The Node service: HTTP, group-committed webhook ingest, the periodic tick (inbox retries,
 * settling) on a timer, the delivery loop — woken when calls settle, and every tick — and the
 * FreePBX CDR poller and the Asterisk AMI listener when configured. Stops in order: no new
 * connections, running requests finish, the poll in hand ends, AMI logs off and its received
 * events are stored, queued bodies are applied, the tick and the
 * delivery claim in hand end — only then may the database be closed.
 * @module
 */
import { serve, type ServerType } from '@hono/node-server';
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { hostname } from 'node:os';
import { sql } from 'drizzle-orm';
import { createApp } from '../../app';
import { SANDBOX_TOKEN } from '../../crm/connect';
import { createAmoSandbox } from '../../sandbox';
import { createDeliveryWorker } from '../../delivery/setup';
import type { Settings } from '../../settings/env';
import type { IntegratorConfig } from '../../settings/integrator';
import type { DbHandle } from '../../db/client';
import { inboxDeps, type AppDeps, type RecordingsRuntime } from '../../deps';
import { nodeRecordingsRuntime } from './recordings-runtime';
import { runTick } from '../../jobs';
import { IngestBatcher } from '../../ledger/batcher';
import type { Logger } from '../../lib/log';
import { answerClientErrors } from './client-error';
import { startAmiListener } from './ami-listener';
import { startFreepbxPoller } from './freepbx-poller';
import { freepbxPull } from './freepbx-pull';
import { startReconcileSchedule } from './reconcile-schedule';

export interface RunningService {
  port: number;
  deps: AppDeps;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  settings: Settings;
  config: IntegratorConfig;
  database: DbHandle;
  log: Logger;
  /** How often due work is looked for; the settle latency is at most this plus SETTLE_SECONDS. */
  tickMs?: number;
  hostname?: string;
  /** How long a stop waits for running requests. */
  stopTimeoutMs?: number;
  /** Replaces the global fetch for amoCRM (tests). */
  crmFetch?: typeof fetch;
  /** Replaces the recordings runtime built from the settings (tests). */
  recordings?: RecordingsRuntime;
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const background = new Set<Promise<unknown>>();
  const stopSignal = new AbortController();
  // No CRM configured: the sandbox CRM runs in this process, so calls have somewhere to land.
  const sandbox =
    options.settings.crm.kind === 'sandbox' ? createAmoSandbox({ seed: 'demo', longLivedTokens: [SANDBOX_TOKEN] }) : undefined;
  const deps: AppDeps = {
    db: options.database.db,
    settings: options.settings,
    config: options.config,
    log: options.log,
    defer: (work) => {
      const tracked = work.catch((error) => options.log.error('background work failed', { error })).finally(() => background.delete(tracked));
      background.add(tracked);
    },
    ...(sandbox ? { sandbox } : {}),
    ...(options.crmFetch ? { crmFetch: options.crmFetch } : {}),
    recordings: options.recordings ?? nodeRecordingsRuntime(options.settings),
    limiters: new Map(),
    pbxPulls: [freepbxPull()],
    stopping: stopSignal.signal,
  };
  if (options.database.kind === 'pglite') {
    // PGlite belongs to this process alone: leases left by a previous run of it are dead.
    await deps.db.execute(sql`update crm_accounts set lease_owner = null, lease_expires_at = null where lease_owner is not null`);
    await deps.db.execute(sql`update deliveries set lease_owner = null, lease_expires_at = null where lease_owner is not null`);
    await deps.db.execute(sql`update reconcile_runs set lease_owner = null, lease_expires_at = null where lease_owner is not null`);
  }
  const owner = `node:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  deps.owner = owner;
  const worker = createDeliveryWorker(deps, { owner });
  // PGlite runs on this thread and serializes transactions: with a second slot every request
  // would find one free and go alone, and no group would ever form. A server can overlap two.
  const batcher = new IngestBatcher(inboxDeps(deps), {
    maxInFlight: options.database.kind === 'pglite' ? 1 : 2,
    defer: (start) => setImmediate(start),
  });
  deps.ingest = batcher.submit;

  let stopping = false;
  // One drain at a time; a wake during a drain asks for another one right after it.
  let draining: Promise<unknown> | null = null;
  let again = false;
  const wakeDelivery = () => {
    if (!worker || stopping) return;
    if (draining) {
      again = true;
      return;
    }
    again = false;
    draining = worker
      .drain({ budgetMs: 20_000, shouldStop: () => stopping })
      .then((report) => {
        if (report.claimed > 0 && report.stopped === null) again = true;
      })
      .catch((error) => options.log.error('delivery drain failed', { error }))
      .finally(() => {
        draining = null;
        if (again && !stopping) setImmediate(wakeDelivery);
      });
  };
  deps.wakeDelivery = wakeDelivery;
  const app = createApp(deps);

  // Requests keep running after their client hangs up; the database must outlive them.
  let running = 0;
  let onIdle: (() => void) | undefined;
  const fetch = async (request: Request) => {
    running++;
    try {
      return await app.fetch(request);
    } finally {
      if (--running === 0) onIdle?.();
    }
  };

  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<unknown> = Promise.resolve();
  const tick = () => {
    ticking = runTick(deps)
      .then(() => wakeDelivery())
      .catch((error) => options.log.error('tick failed', { error }))
      .finally(() => {
        if (!stopping) timer = setTimeout(tick, options.tickMs ?? 1000);
      });
  };

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch, port: options.settings.port, hostname: options.hostname ?? '0.0.0.0' }, () => resolve(s));
  });
  // Requests Node refuses before Hono (oversized headers: 431, bad request line: 400) get the JSON envelope too.
  answerClientErrors(server as HttpServer, options.log);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.settings.port;
  tick();
  // Reads FreePBX's CDR table when sources.freepbx.database_url is set.
  const freepbx = startFreepbxPoller(deps);
  // Follows Asterisk's AMI (Cdr and CEL events) when ASTERISK_AMI_URL is set.
  const ami = startAmiListener(deps);
  // The nightly reconciliation (croner, reconcile.time in time_zone) and the resumption of paused runs.
  const reconcile = startReconcileSchedule(deps, owner);

  return {
    port,
    deps,
    async stop() {
      stopping = true;
      stopSignal.abort();
      clearTimeout(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (running > 0) {
        const idle = new Promise<void>((resolve) => (onIdle = resolve));
        const timeout = new Promise<void>((resolve) => setTimeout(resolve, options.stopTimeoutMs ?? 15_000).unref());
        await Promise.race([idle, timeout]);
        if (running > 0) options.log.warn('stopping with requests still running', { running });
      }
      await freepbx?.stop();
      await ami?.stop();
      await reconcile.stop();
      await batcher.drain();
      await ticking;
      await draining;
      await Promise.allSettled([...background]);
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    },
  };
}
