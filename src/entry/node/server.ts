/**
 * The Node service: HTTP, group-committed webhook ingest, the periodic tick (inbox retries,
 * settling) on a timer, the delivery loop — woken when calls settle, and every tick — and the
 * FreePBX CDR poller and the Asterisk AMI listener when configured. Stops in order: no new
 * connections, running requests finish, the poll in hand ends, AMI logs off and its received
 * events are stored, queued bodies are applied, the tick and the
 * delivery claim in hand end — only then may the database be closed. The two loops themselves
 * are in service-loops.ts.
 * @module
 */
import { serve, type ServerType } from '@hono/node-server';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { hostname } from 'node:os';
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { API_VERSION, createApp } from '../../app';
import { AsyncStoreContextManager } from '../../lib/trace';
import { startTracing } from '../../lib/tracing';
import { healthRoutes } from '../../http/api/health';
import { metricsRoutes } from '../../http/api/metrics';
import { scopedAuth } from '../../http/core/admin-auth';
import { SANDBOX_TOKEN, SANDBOX_WIDGET_SECRET } from '../../crm/connect';
import { type AmoSandbox, createAmoSandbox } from '../../sandbox';
import { fileSandboxState } from './sandbox-state';
import { createDeliveryWorker } from '../../delivery/setup';
import type { Settings } from '../../settings/env';
import type { IntegratorConfig } from '../../settings/integrator';
import type { DbHandle } from '../../db/client';
import { inboxDeps, type AppDeps, type RecordingsRuntime } from '../../deps';
import { nodeRecordingsRuntime } from './recordings-runtime';
import { IngestBatcher } from '../../ledger/batcher';
import type { Logger } from '../../lib/log';
import { answerClientErrors } from './client-error';
import { type AmiListener, startAmiListener } from './ami-listener';
import { type FreepbxPoller, startFreepbxPoller } from './freepbx-poller';
import { amiOriginator } from './ami-originate';
import { eslOriginator, parseEslAddress } from './esl-originate';
import type { PbxOriginator } from '../../pbx/core/originate';
import { freepbxPull } from './freepbx-pull';
import { type ReconcileSchedule, startReconcileSchedule } from './reconcile-schedule';
import { deliveryLoop, tickLoop, type DeliveryLoop, type TickLoop } from './service-loops';
import { type AccountDirectory, type AccountHost, createAccountDirectory } from '../../accounts/directory';
import { accountSchema } from '../../domain/account';
import { bindSealKeys } from '../../lib/seal';
import { postgresSlotStore } from '../../crm/shared-budget';
import { dropAccountDatabase, openAccountDatabase } from './database';

export interface RunningService {
  port: number;
  deps: AppDeps;
  /** The added accounts, served under /a/<slug>/. */
  accounts: AccountDirectory;
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
  /**
   * What this process does (`calltrail serve --role`): `web` answers HTTP and takes webhooks in;
   * `worker` settles, delivers, archives recordings, reconciles and follows the PBX, answering
   * only /health and /metrics; `all` (the default) both. Any number of each share one PostgreSQL database.
   */
  role?: ServiceRole;
}

export const SERVICE_ROLES = ['all', 'web', 'worker'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

export async function startService(options: ServiceOptions): Promise<RunningService> {
  // OTEL_EXPORTER_OTLP_ENDPOINT: every account's spans, from the first request on, go there.
  const tracing = options.settings.tracing
    ? startTracing({
        ...options.settings.tracing,
        contextManager: new AsyncStoreContextManager(new AsyncLocalStorage()),
        runtime: 'node',
        version: API_VERSION,
      })
    : null;
  const accounts = createAccountDirectory({
    db: options.database.db,
    settings: options.settings,
    log: options.log,
    host: nodeAccountHost(options),
  });
  const root = await startRuntime(options, accounts);
  const { server, port } = await listen(root.requests.fetch, options);
  root.begin();
  // The added accounts (/a/<slug>/), each its own app, data and loops, started beside account 1.
  await accounts.startAll();
  return {
    port,
    deps: root.deps,
    accounts,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await root.stop(async () => {
        await root.requests.finish(options.stopTimeoutMs ?? 15_000, options.log);
        await accounts.stopAll();
      });
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      await tracing?.shutdown().catch((error: unknown) => options.log.warn('could not send the last traces', { error }));
    },
  };
}

/** One account's app and work in this process: account 1's, or an added one's. */
interface Runtime {
  deps: AppDeps;
  requests: RequestTracker;
  /** Starts the tick, the pollers, the schedule: once the service listens. */
  begin(): void;
  /** Stops everything in order; `requestsDone` runs once no new work can start from a tick. */
  stop(requestsDone?: () => Promise<void>): Promise<void>;
}

async function startRuntime(options: ServiceOptions, accounts?: AccountDirectory): Promise<Runtime> {
  const role = options.role ?? 'all';
  const works = role !== 'web';
  const background = new Set<Promise<unknown>>();
  const stopSignal = new AbortController();
  const sandbox = inProcessSandbox(options);
  const deps = serviceDeps(options, sandbox, stopSignal.signal, background);
  if (accounts) deps.accounts = accounts;
  if (options.database.kind === 'pglite') await releaseLeases(deps);
  const owner = `node:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  deps.owner = owner;
  const batcher = ingestBatcher(deps, options.database.kind);
  deps.ingest = batcher.submit;
  // A web process leaves settling and delivering to the workers: their tick finds what it stored.
  const delivery = deliveryLoop(works ? createDeliveryWorker(deps, { owner }) : null, stopSignal.signal, options.log);
  deps.wakeDelivery = delivery.wake;
  const requests = trackRequests(role === 'worker' ? healthOnly(deps) : createApp(deps));
  const ticks = tickLoop(deps, delivery.wake, stopSignal.signal, options.tickMs ?? 1000);
  let started: Omit<ServiceParts, 'stopSignal' | 'batcher' | 'ticks' | 'delivery' | 'background' | 'sandbox'> | undefined;
  return {
    deps,
    requests,
    begin() {
      if (!works) return;
      ticks.start();
      started = {
        // Reads FreePBX's CDR table when sources.freepbx.database_url is set.
        freepbx: startFreepbxPoller(deps),
        // Follows Asterisk's AMI (Cdr and CEL events) when ASTERISK_AMI_URL is set.
        ami: startAmiListener(deps),
        // The nightly reconciliation (croner, reconcile.time in time_zone) and the resumption of paused runs.
        reconcile: startReconcileSchedule(deps, owner),
      };
    },
    stop: (requestsDone) =>
      stopParts(
        {
          stopSignal,
          batcher,
          ticks,
          delivery,
          background,
          freepbx: started?.freepbx,
          ami: started?.ami,
          reconcile: started?.reconcile,
          sandbox,
        },
        requestsDone,
      ),
  };
}

/**
 * A worker process answers its supervisor's health checks and Prometheus (its CRM requests and
 * budget counters live here, where the deliveries run), nothing else.
 */
function healthOnly(deps: AppDeps): { fetch(request: Request): Response | Promise<Response> } {
  const app = new Hono();
  app.route('/', healthRoutes(deps));
  app.use('/metrics', scopedAuth('metrics', deps));
  app.route('/', metricsRoutes(deps));
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: 'a worker process serves /health and /metrics only; send requests to a web process', requestId: '' } }, 404),
  );
  return app;
}

/** Added accounts on Node: a schema of the instance's PostgreSQL database each, or a PGlite each. */
function nodeAccountHost(options: ServiceOptions): AccountHost {
  const instance = options.settings;
  return {
    async open(slug, settings, config) {
      const database = await openAccountDatabase({
        ...(instance.databaseUrl ? { databaseUrl: instance.databaseUrl } : {}),
        dataDir: settings.dataDir,
        schema: accountSchema(slug),
        poolSize: instance.accountPoolSize,
      });
      bindSealKeys(database.db, settings.secretsKeys);
      try {
        const { recordings: _shared, ...rest } = options;
        const runtime = await startRuntime({ ...rest, settings, config, database, log: options.log.child({ account: slug }) });
        runtime.begin();
        return {
          db: database.db,
          fetch: runtime.requests.fetch,
          async stop() {
            await runtime.stop(() => runtime.requests.finish(options.stopTimeoutMs ?? 15_000, options.log));
            await database.close();
          },
        };
      } catch (error) {
        await database.close();
        throw error;
      }
    },
    destroy: (slug) =>
      dropAccountDatabase({
        ...(instance.databaseUrl ? { databaseUrl: instance.databaseUrl } : {}),
        dataDir: `${instance.dataDir.replace(/\/+$/, '')}/accounts/${slug}`,
        schema: accountSchema(slug),
      }),
  };
}

/**
 * No CRM configured: the sandbox CRM runs in this process, so calls have somewhere to land; its
 * account is kept in DATA_DIR, so a restart keeps the timeline.
 */
function inProcessSandbox(options: ServiceOptions): AmoSandbox | undefined {
  if (options.settings.crm.kind !== 'sandbox') return undefined;
  return createAmoSandbox({
    seed: 'demo',
    longLivedTokens: [SANDBOX_TOKEN],
    widgetSecret: SANDBOX_WIDGET_SECRET,
    state: fileSandboxState(options.settings.dataDir, options.log),
  });
}

/** The service's AppDeps, before the pieces that need them (owner, ingest, wakeDelivery) are added. */
function serviceDeps(options: ServiceOptions, sandbox: AmoSandbox | undefined, stopping: AbortSignal, background: Set<Promise<unknown>>): AppDeps {
  return {
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
    // Several processes may share a server database: each CRM account's budget is counted there.
    ...(options.database.kind === 'postgres' ? { slotStore: postgresSlotStore(() => options.database.db) } : {}),
    pbxPulls: [freepbxPull()],
    originators: [
      amiOriginator({ address: options.settings.asteriskAmi, log: options.log }),
      eslOriginator({ address: options.settings.freeswitchEsl ? parseEslAddress(options.settings.freeswitchEsl) : undefined, log: options.log }),
    ] as PbxOriginator[],
    stopping,
  };
}

/** PGlite belongs to this process alone: leases left by a previous run of it are dead. */
async function releaseLeases(deps: AppDeps): Promise<void> {
  await deps.db.execute(sql`update crm_accounts set lease_owner = null, lease_expires_at = null where lease_owner is not null`);
  await deps.db.execute(sql`update deliveries set lease_owner = null, lease_expires_at = null where lease_owner is not null`);
  await deps.db.execute(sql`update reconcile_runs set lease_owner = null, lease_expires_at = null where lease_owner is not null`);
}

function ingestBatcher(deps: AppDeps, database: DbHandle['kind']): IngestBatcher {
  // PGlite runs on this thread and serializes transactions: with a second slot every request
  // would find one free and go alone, and no group would ever form. A server can overlap two.
  return new IngestBatcher(inboxDeps(deps), {
    maxInFlight: database === 'pglite' ? 1 : 2,
    defer: (start) => setImmediate(start),
  });
}

interface RequestTracker {
  fetch(request: Request): Promise<Response>;
  /** Waits for the running requests, at most `timeoutMs`. */
  finish(timeoutMs: number, log: Logger): Promise<void>;
}

/** Requests keep running after their client hangs up; the database must outlive them. */
function trackRequests(app: { fetch(request: Request): Response | Promise<Response> }): RequestTracker {
  let running = 0;
  let onIdle: (() => void) | undefined;
  return {
    async fetch(request) {
      running++;
      try {
        return await app.fetch(request);
      } finally {
        if (--running === 0) onIdle?.();
      }
    },
    async finish(timeoutMs, log) {
      if (running === 0) return;
      const idle = new Promise<void>((resolve) => (onIdle = resolve));
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
      await Promise.race([idle, timeout]);
      if (running > 0) log.warn('stopping with requests still running', { running });
    },
  };
}

async function listen(fetch: RequestTracker['fetch'], options: ServiceOptions): Promise<{ server: ServerType; port: number }> {
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch, port: options.settings.port, hostname: options.hostname ?? '0.0.0.0' }, () => resolve(s));
  });
  // Requests Node refuses before Hono (oversized headers: 431, bad request line: 400) get the JSON envelope too.
  answerClientErrors(server as HttpServer, options.log);
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : options.settings.port };
}

/** What a stop ends, each in its turn. */
interface ServiceParts {
  stopSignal: AbortController;
  freepbx: FreepbxPoller | undefined;
  ami: AmiListener | undefined;
  reconcile: ReconcileSchedule | undefined;
  batcher: IngestBatcher;
  ticks: TickLoop;
  delivery: DeliveryLoop;
  background: Set<Promise<unknown>>;
  /** The in-process sandbox CRM: its last changes are saved. */
  sandbox: AmoSandbox | undefined;
}

async function stopParts(parts: ServiceParts, requestsDone?: () => Promise<void>): Promise<void> {
  parts.stopSignal.abort();
  parts.ticks.halt();
  await requestsDone?.();
  await parts.freepbx?.stop();
  await parts.ami?.stop();
  await parts.reconcile?.stop();
  await parts.batcher.drain();
  await parts.ticks.inHand();
  await parts.delivery.inHand();
  await Promise.allSettled([...parts.background]);
  await parts.sandbox?.flush();
}
