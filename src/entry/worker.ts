/**
 * Cloudflare Workers entry: `fetch` serves the app, `scheduled` runs the periodic tick.
 * The database is reached through Hyperdrive, with a client per request (workerd does not let
 * a socket outlive the request that opened it).
 * @module
 */
import { createApp } from './../app';
import { parseEnv, type Settings } from '../config/env';
import { ConfigError } from '../config/errors';
import { defaultIntegratorConfig, parseIntegratorConfig, type IntegratorConfig } from '../config/integrator';
import { connectPostgres } from '../db/client';
import type { AppDeps } from '../deps';
import { runTick } from '../jobs';
import { createLogger } from '../lib/log';

interface Env {
  HYPERDRIVE?: { connectionString: string };
  [name: string]: unknown;
}
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}
interface ScheduledController {
  cron: string;
  scheduledTime: number;
}

/** Parsed once per isolate (bindings do not change while it lives). */
const parsed = new WeakMap<object, { settings: Settings; config: IntegratorConfig } | ConfigError>();

function configure(env: Env) {
  let entry = parsed.get(env);
  if (!entry) {
    try {
      const settings = parseEnv(env);
      const config = settings.configJson ? parseIntegratorConfig(settings.configJson, 'CONFIG') : defaultIntegratorConfig();
      entry = { settings, config };
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
  const deps: AppDeps = { db: database.db, settings, config, log, defer: (work) => ctx.waitUntil(work) };
  return { deps, close: () => ctx.waitUntil(database.close()) };
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
    try {
      const result = await runTick(opened.deps);
      opened.deps.log.info('scheduled tick', { cron: controller.cron, ...result });
    } finally {
      opened.close();
    }
  },
};
