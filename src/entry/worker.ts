/**
 * Cloudflare Workers entry: `fetch` serves the app, `queue` works the Cloudflare Queues (inbox
 * bodies to apply, deliveries to send, what died: worker/queues.ts), `scheduled` runs the
 * periodic tick — the safety net that applies what a lost message left and drains due
 * deliveries — and works reconciliation runs (the nightly trigger starts yesterday's). The
 * Durable Object CrmAccount (worker/crm-account.ts) keeps each CRM account's request budget and
 * its OAuth refresh lock for every isolate. Without the queue or Durable Object bindings the
 * Worker runs as before: webhooks apply at once and drain in waitUntil, the budget is counted in
 * PostgreSQL.
 *
 * The app is built once per isolate (settings parsed, routes and their OpenAPI document made once)
 * and reused by every request. What belongs to one request lives in a request scope: the database
 * client over Hyperdrive (workerd does not let a socket outlive the request that opened it), the
 * background work of waitUntil and the delivery worker on that client. The app's dependencies read
 * them from the scope (AsyncLocalStorage, which follows the request's promises into waitUntil).
 * The client closes only after the request's deferred work is done.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import { API_VERSION, createApp } from '../app';
import { ConfigError } from '../config/errors';
import { SANDBOX_TOKEN, SANDBOX_WIDGET_SECRET } from '../crm/connect';
import type { Budget } from '../crm/limiter';
import { postgresSlotStore } from '../crm/shared-budget';
import { connectPostgres, type Db } from '../db/client';
import { createDeliveryWorker } from '../delivery/setup';
import type { DeliveryWorker } from '../delivery/worker';
import type { AppDeps, RecordingsRuntime } from '../deps';
import { ERROR_STATUS, type ErrorEnvelope } from '../http/core/errors';
import { runTick } from '../jobs';
import { createLogger, type Logger } from '../lib/log';
import { AsyncStoreContextManager, traceparentOf } from '../lib/trace';
import { startTracing, type Tracing } from '../lib/tracing';
import { bindSealKeys } from '../lib/seal';
import { recordingSources } from '../pbx/registry';
import { runtimeFetchFor } from '../recordings/fetch/runtime-fetch';
import { provideLame } from '../recordings/audio/lame';
import { processRecordings } from '../recordings/process';
import { defaultStorageKind, storageFromSettings } from '../recordings/storage/config';
import type { R2BucketLike } from '../recordings/storage/r2';
import { continueRun, nightlyRun, resumeRuns, startNightlyIfDue } from '../reconcile/runs';
import { createAmoSandbox } from '../sandbox';
import type { Settings } from '../settings/env';
import { loadSettings } from '../settings/load';
import { type DurableNamespaceLike, durableRefreshLock, durableSlotStore } from './worker/crm-account-client';
import { DurableBudget } from './worker/durable-budget';
// By path: the package's export of this file points at one that does not exist.
import lameWasm from '../../node_modules/wasm-media-encoders/wasm/mp3.wasm';
import { consumeBatch, type QueueBatchLike, type QueueProducerLike, type QueueWork, queueBody, type WorkerQueues } from './worker/queues';

export { CrmAccount } from './worker/crm-account';

// workerd cannot compile WebAssembly from bytes: LAME comes in as a module compiled at deploy.
provideLame(() => lameWasm);

interface Env {
  HYPERDRIVE?: { connectionString: string };
  /** R2 bucket for archived recordings. */
  RECORDINGS?: R2BucketLike;
  /** Queue producers: inbox bodies to apply, deliveries to send (both, or neither is used). */
  INBOX?: QueueProducerLike<QueueWork>;
  DELIVERIES?: QueueProducerLike<QueueWork>;
  /** The dead-letter queue's name (default calltrail-dead-letters): its batches are recorded. */
  DEAD_LETTER_QUEUE?: string;
  /** The CrmAccount Durable Objects: each CRM account's budget and refresh lock. */
  CRM_ACCOUNTS?: DurableNamespaceLike;
  [name: string]: unknown;
}
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}
interface ScheduledController {
  cron: string;
  scheduledTime: number;
}

/** wrangler.toml's every-minute trigger; any other trigger is the nightly reconciliation. */
const EVERY_MINUTE = '* * * * *';

/** What one request (or one scheduled run) owns. */
interface RequestScope {
  db: Db;
  defer: (work: Promise<unknown>) => void;
  worker: DeliveryWorker | null;
  wakeDelivery: () => void;
}

/** What lives as long as the isolate: parsed settings, the app, the rate budgets, the sandbox. */
interface Isolate {
  deps: AppDeps;
  app: ReturnType<typeof createApp>;
  databaseUrl: string;
  log: Logger;
  /** OTEL_EXPORTER_OTLP_ENDPOINT set: spans are batched and sent at the end of each request. */
  tracing: Tracing | null;
  /** INBOX and DELIVERIES bound: webhooks queue their bodies, drains run in the queue consumer. */
  queues: WorkerQueues | null;
}

const scope = new AsyncLocalStorage<RequestScope>();
const isolates = new WeakMap<object, Isolate | ConfigError>();

function current(): RequestScope {
  const found = scope.getStore();
  if (!found) throw new Error('no request scope: the database is reached only while a request or a scheduled run is being served');
  return found;
}

/** Built on the isolate's first request (bindings do not change while it lives). */
function isolate(env: Env): Isolate | ConfigError {
  let found = isolates.get(env);
  if (!found) {
    try {
      found = buildIsolate(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      found = error;
    }
    isolates.set(env, found);
  }
  return found;
}

function buildIsolate(env: Env): Isolate | ConfigError {
  const { settings, config } = loadSettings(env);
  const databaseUrl = env.HYPERDRIVE?.connectionString ?? settings.databaseUrl;
  if (!databaseUrl) return new ConfigError('environment', ['HYPERDRIVE: bind a Hyperdrive config (or set DATABASE_URL)']);
  const log = createLogger({ level: settings.logLevel, base: { service: 'calltrail', runtime: 'workerd' } });
  const sandbox =
    settings.crm.kind === 'sandbox' ? createAmoSandbox({ seed: 'demo', longLivedTokens: [SANDBOX_TOKEN], widgetSecret: SANDBOX_WIDGET_SECRET }) : undefined;
  const recordings = workerRecordings(settings, env);
  const deps: AppDeps = {
    get db() {
      return current().db;
    },
    get defer() {
      return current().defer;
    },
    get wakeDelivery() {
      return current().wakeDelivery;
    },
    settings,
    config,
    log,
    limiters: accountBudgets(settings, env, log),
    // Every isolate is another process: the account's budget is counted in its Durable Object (else in PostgreSQL).
    slotStore: env.CRM_ACCOUNTS ? durableSlotStore(env.CRM_ACCOUNTS) : postgresSlotStore(() => current().db),
    ...(env.CRM_ACCOUNTS ? { refreshLock: durableRefreshLock(env.CRM_ACCOUNTS, log) } : {}),
    owner: `workerd:${crypto.randomUUID().slice(0, 8)}`,
    backgroundBudgetMs: 25_000,
    ...(sandbox ? { sandbox } : {}),
    ...(recordings ? { recordings } : {}),
  };
  const tracing = settings.tracing
    ? startTracing({ ...settings.tracing, contextManager: new AsyncStoreContextManager(new AsyncLocalStorage()), runtime: 'workerd', version: API_VERSION })
    : null;
  const queues = workerQueues(env);
  // The webhook's traceparent goes with the message: the consumer's apply continues the trace.
  if (queues) deps.queueBody = (input) => queueBody(deps, queues, input, traceparentOf(trace.getActiveSpan()));
  return { deps, app: createApp(deps), databaseUrl, log, tracing, queues };
}

/** With the Durable Object, the account's budget is the object alone: no pacing loop in the isolate (worker/durable-budget.ts). */
function accountBudgets(settings: Settings, env: Env, log: Logger): Map<string, Budget> {
  const budgets = new Map<string, Budget>();
  const { accountId: account, rps } = settings.crm;
  if (env.CRM_ACCOUNTS) budgets.set(account, new DurableBudget({ account, rps, store: durableSlotStore(env.CRM_ACCOUNTS), log }));
  return budgets;
}

function workerQueues(env: Env): WorkerQueues | null {
  if (!env.INBOX || !env.DELIVERIES) return null;
  return { inbox: env.INBOX, deliveries: env.DELIVERIES, deadLetters: env.DEAD_LETTER_QUEUE ?? 'calltrail-dead-letters' };
}

/** Runs `work` with a database client of its own, closed after everything it deferred has finished. */
async function inScope<T>(found: Isolate, ctx: ExecutionContext, work: (request: RequestScope) => Promise<T>): Promise<T> {
  const database = connectPostgres(found.databaseUrl, { max: 5, fetchTypes: false, prepare: false });
  const pending: Promise<unknown>[] = [];
  const defer = (job: Promise<unknown>) => {
    const tracked = job.catch((error) => found.log.error('background work failed', { error }));
    pending.push(tracked);
    ctx.waitUntil(tracked);
  };
  bindSealKeys(database.db, found.deps.settings.secretsKeys);
  const request: RequestScope = { db: database.db, defer, worker: null, wakeDelivery: () => {} };
  try {
    return await scope.run(request, () => {
      // Made inside the scope: the worker keeps this request's client.
      request.worker = createDeliveryWorker(found.deps, { owner: found.deps.owner ?? 'workerd' });
      request.wakeDelivery = wakeOnce(found, request);
      return work(request);
    });
  } finally {
    // workerd runs no timer after the request: the spans of the request and its deferred work go now.
    const flushed = () => found.tracing?.flush().catch((error: unknown) => found.log.warn('could not send traces', { error }));
    ctx.waitUntil(Promise.allSettled(pending).then(() => Promise.all([database.close(), flushed()])));
  }
}

/**
 * Calls settled: once per request, a message to the deliveries queue, or without queues a drain
 * in waitUntil (recordings first).
 */
function wakeOnce(found: Isolate, request: RequestScope): () => void {
  const { deps, queues } = found;
  let woken = false;
  return () => {
    const worker = request.worker;
    if (!worker || woken) return;
    woken = true;
    if (queues) request.defer(queues.deliveries.send({ kind: 'deliver', account: deps.settings.crm.accountId }));
    else request.defer(processRecordings(deps, recordingSources).then(() => worker.drain({ budgetMs: 20_000 })));
  };
}

/** R2 when bound (or S3 when configured); none: recordings are referenced, not archived. */
function workerRecordings(settings: Settings, env: Env): RecordingsRuntime | undefined {
  const bindings = env.RECORDINGS ? { r2: env.RECORDINGS } : {};
  const kind = settings.recordingsStorage ?? defaultStorageKind('workerd', bindings);
  if (!kind) return undefined;
  return {
    storage: storageFromSettings(
      { kind, ...(settings.s3 ? { s3: settings.s3 } : {}), ...(settings.recordingsPrefix ? { prefix: settings.recordingsPrefix } : {}) },
      bindings,
    ),
    fetchFor: runtimeFetchFor,
  };
}

function misconfigured(error: ConfigError): Response {
  console.error(error.message);
  const envelope: ErrorEnvelope = { error: { code: 'misconfigured', message: error.message, requestId: crypto.randomUUID() } };
  return Response.json(envelope, { status: ERROR_STATUS.misconfigured });
}

/** The every-minute trigger: the tick, deliveries, then a slice of a live reconciliation. */
async function everyMinute(deps: AppDeps, request: RequestScope, cron: string) {
  const owner = deps.owner ?? 'workerd';
  const result = await runTick(deps);
  const delivery = request.worker ? await request.worker.drain({ budgetMs: 30_000 }) : null;
  const started = await startNightlyIfDue(deps);
  const run = started ? await continueRun(deps, started.id, { owner, budgetMs: 20_000 }) : await resumeRuns(deps, { owner, budgetMs: 20_000 });
  deps.log.info('scheduled tick', { cron, ...result, delivery, ...(run ? { reconcile: { run: run.id, status: run.status } } : {}) });
}

/** The nightly trigger (an hourly-or-rarer trigger may run for 15 minutes): yesterday's run. */
async function nightly(deps: AppDeps, cron: string) {
  const budgetMs = Math.min(deps.config.reconcile.budget_seconds, 600) * 1000;
  const run = await nightlyRun(deps, { owner: deps.owner ?? 'workerd', budgetMs });
  deps.log.info('nightly reconciliation', { cron, ...(run ? { run: run.id, status: run.status, gapsRemaining: run.gapsRemaining } : {}) });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const found = isolate(env);
    if (found instanceof ConfigError) return misconfigured(found);
    return inScope(found, ctx, async () => found.app.fetch(request));
  },

  async queue(batch: QueueBatchLike, env: Env, ctx: ExecutionContext): Promise<void> {
    const found = isolate(env);
    if (found instanceof ConfigError) throw found;
    const queues = found.queues;
    if (!queues) throw new Error('a queue batch came, but INBOX and DELIVERIES are not both bound');
    await inScope(found, ctx, (request) => consumeBatch(batch, { deps: found.deps, worker: request.worker, queues }));
  },

  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    const found = isolate(env);
    if (found instanceof ConfigError) throw found;
    await inScope(found, ctx, (request) =>
      controller.cron === EVERY_MINUTE ? everyMinute(found.deps, request, controller.cron) : nightly(found.deps, controller.cron),
    );
  },
};
