/**
 * The Node service: HTTP, group-committed webhook ingest, and the periodic tick (inbox retries,
 * settling) on a timer. Stops in order: no new connections, running requests finish, queued
 * bodies are applied, the tick ends — only then may the database be closed.
 * @module
 */
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from '../../app';
import type { Settings } from '../../config/env';
import type { IntegratorConfig } from '../../config/integrator';
import type { DbHandle } from '../../db/client';
import { inboxDeps, type AppDeps } from '../../deps';
import { runTick } from '../../jobs';
import { IngestBatcher } from '../../ledger/batcher';
import type { Logger } from '../../lib/log';

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
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const background = new Set<Promise<unknown>>();
  const deps: AppDeps = {
    db: options.database.db,
    settings: options.settings,
    config: options.config,
    log: options.log,
    defer: (work) => {
      const tracked = work.catch((error) => options.log.error('background work failed', { error })).finally(() => background.delete(tracked));
      background.add(tracked);
    },
  };
  // PGlite runs on this thread and serializes transactions: with a second slot every request
  // would find one free and go alone, and no group would ever form. A server can overlap two.
  const batcher = new IngestBatcher(inboxDeps(deps), {
    maxInFlight: options.database.kind === 'pglite' ? 1 : 2,
    defer: (start) => setImmediate(start),
  });
  deps.ingest = batcher.submit;
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

  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<unknown> = Promise.resolve();
  const tick = () => {
    ticking = runTick(deps)
      .catch((error) => options.log.error('tick failed', { error }))
      .finally(() => {
        if (!stopping) timer = setTimeout(tick, options.tickMs ?? 1000);
      });
  };

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch, port: options.settings.port, hostname: options.hostname ?? '0.0.0.0' }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.settings.port;
  tick();

  return {
    port,
    deps,
    async stop() {
      stopping = true;
      clearTimeout(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (running > 0) {
        const idle = new Promise<void>((resolve) => (onIdle = resolve));
        const timeout = new Promise<void>((resolve) => setTimeout(resolve, options.stopTimeoutMs ?? 15_000).unref());
        await Promise.race([idle, timeout]);
        if (running > 0) options.log.warn('stopping with requests still running', { running });
      }
      await batcher.drain();
      await ticking;
      await Promise.allSettled([...background]);
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    },
  };
}
