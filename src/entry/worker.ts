/**
 * Cloudflare Workers entry: `fetch` serves the app, `scheduled` runs the periodic tick, drains
 * due deliveries and works reconciliation runs (the nightly trigger starts yesterday's). The
 * database is reached through Hyperdrive, with a client per request (workerd does not let a socket
 * outlive the request that opened it); a webhook that settles calls drains deliveries in
 * waitUntil, and the client closes only after that work is done.
 * @module
 */
import { createApp } from './../app';
import { parseEnv, type Settings } from '../config/env';
import { ConfigError } from '../config/errors';
import { defaultIntegratorConfig, parseIntegratorConfig, type IntegratorConfig } from '../config/integrator';
import { withConfiguredCrm } from '../crm/generic/settings';
import { connectPostgres } from '../db/client';
import type { AppDeps, RecordingsRuntime } from '../deps';
import { runtimeFetchFor } from '../recordings/fetch/runtime-fetch';
import { recordingSources } from '../pbx/registry';
import { processRecordings } from '../recordings/process';
import type { R2BucketLike } from '../recordings/storage/r2';
import { defaultStorageKind, storageFromSettings } from '../recordings/storage/config';
import { SANDBOX_TOKEN } from '../crm/connect';
import type { RateLimiter } from '../crm/limiter';
import { createAmoSandbox } from '../sandbox';
import { createDeliveryWorker } from '../delivery/setup';
import { runTick } from '../jobs';
import { continueRun, nightlyRun, resumeRuns, startNightlyIfDue } from '../reconcile/runs';
import { createLogger } from '../lib/log';

interface Env {
  HYPERDRIVE?: { connectionString: string };
  /** R2 bucket for archived recordings. */
  RECORDINGS?: R2BucketLike;
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

/** The account's request budget lives as long as the isolate, not one request. */
const limiters = new Map<string, RateLimiter>();
/** Sandbox mode: the sandbox CRM lives in the isolate's memory (a demo, not a store). */
let sandbox: ReturnType<typeof createAmoSandbox> | undefined;
/** This isolate's name in leases (random values are not allowed at global scope: made lazily). */
let owner: string | undefined;

/** Parsed once per isolate (bindings do not change while it lives). */
const parsed = new WeakMap<object, { settings: Settings; config: IntegratorConfig } | ConfigError>();

function configure(env: Env) {
  let entry = parsed.get(env);
  if (!entry) {
    try {
      const parsedEnv = parseEnv(env);
      const config = parsedEnv.configJson ? parseIntegratorConfig(parsedEnv.configJson, 'CONFIG') : defaultIntegratorConfig();
      entry = { settings: withConfiguredCrm(parsedEnv, config, env as unknown as Record<string, unknown>), config };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      entry = error;
    }
    parsed.set(env, entry);
  }
  return entry;
}

function open(env: Env, ctx: ExecutionContext) {
  const configured = configure(env);
  if (configured instanceof ConfigError) return configured;
  const { settings, config } = configured;
  const url = env.HYPERDRIVE?.connectionString ?? settings.databaseUrl;
  if (!url) return new ConfigError('environment', ['HYPERDRIVE: bind a Hyperdrive config (or set DATABASE_URL)']);
  const database = connectPostgres(url, { max: 5, fetchTypes: false, prepare: false });
  const log = createLogger({ level: settings.logLevel, base: { service: 'calltrail', runtime: 'workerd' } });
  if (settings.crm.kind === 'sandbox') sandbox ??= createAmoSandbox({ seed: 'demo', longLivedTokens: [SANDBOX_TOKEN] });
  const pending: Promise<unknown>[] = [];
  const defer = (work: Promise<unknown>) => {
    const tracked = work.catch((error) => log.error('background work failed', { error }));
    pending.push(tracked);
    ctx.waitUntil(tracked);
  };
  const recordings = workerRecordings(settings, env);
  const deps: AppDeps = {
    db: database.db,
    settings,
    config,
    log,
    defer,
    limiters,
    backgroundBudgetMs: 25_000,
    ...(sandbox ? { sandbox } : {}),
    ...(recordings ? { recordings } : {}),
  };
  owner ??= `workerd:${crypto.randomUUID().slice(0, 8)}`;
  deps.owner = owner;
  const worker = createDeliveryWorker(deps, { owner });
  let woken = false;
  deps.wakeDelivery = () => {
    if (!worker || woken) return;
    woken = true;
    // Recordings first: a call settled by this webhook goes out with its MP3 when it can.
    defer(processRecordings(deps, recordingSources).then(() => worker.drain({ budgetMs: 20_000 })));
  };
  // The client closes after everything deferred on it has finished.
  const close = () => ctx.waitUntil(Promise.allSettled(pending).then(() => database.close()));
  return { deps, worker, close };
}

/** R2 when bound (or S3 when configured); none: recordings are referenced, not archived. */
function workerRecordings(settings: Settings, env: Env): RecordingsRuntime | undefined {
  const bindings = env.RECORDINGS ? { r2: env.RECORDINGS } : {};
  const kind = settings.recordingsStorage ?? defaultStorageKind('workerd', bindings);
  if (!kind) return undefined;
  return { storage: storageFromSettings({ kind, ...(settings.s3 ? { s3: settings.s3 } : {}) }, bindings), fetchFor: runtimeFetchFor };
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const opened = open(env, ctx);
    if (opened instanceof ConfigError) {
      console.error(opened.message);
      return Response.json(
        { error: { code: 'misconfigured', message: opened.message, requestId: crypto.randomUUID() } },
        { status: 500 },
      );
    }
    try {
      return await createApp(opened.deps).fetch(request);
    } finally {
      opened.close();
    }
  },

  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    const opened = open(env, ctx);
    if (opened instanceof ConfigError) throw opened;
    const { deps } = opened;
    try {
      if (controller.cron === EVERY_MINUTE) {
        const result = await runTick(deps);
        // A minute's trigger: delivery, then a slice of a live reconciliation, within the minute.
        const delivery = opened.worker ? await opened.worker.drain({ budgetMs: 30_000 }) : null;
        const started = await startNightlyIfDue(deps);
        const run = started
          ? await continueRun(deps, started.id, { owner: deps.owner!, budgetMs: 20_000 })
          : await resumeRuns(deps, { owner: deps.owner!, budgetMs: 20_000 });
        deps.log.info('scheduled tick', { cron: controller.cron, ...result, delivery, ...(run ? { reconcile: { run: run.id, status: run.status } } : {}) });
      } else {
        // The nightly trigger (an hourly-or-rarer trigger may run for 15 minutes): yesterday's run.
        const budgetMs = Math.min(deps.config.reconcile.budget_seconds, 600) * 1000;
        const run = await nightlyRun(deps, { owner: deps.owner!, budgetMs });
        deps.log.info('nightly reconciliation', { cron: controller.cron, ...(run ? { run: run.id, status: run.status, gapsRemaining: run.gapsRemaining } : {}) });
      }
    } finally {
      opened.close();
    }
  },
};
