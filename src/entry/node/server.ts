/**
 * The Node service: HTTP, and the periodic tick (inbox retries, settling) on a timer.
 * @module
 */
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from '../../app';
import type { Settings } from '../../config/env';
import type { IntegratorConfig } from '../../config/integrator';
import type { DbHandle } from '../../db/client';
import type { AppDeps } from '../../deps';
import { runTick } from '../../jobs';
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
  const app = createApp(deps);

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
    const s = serve({ fetch: app.fetch, port: options.settings.port, hostname: options.hostname ?? '0.0.0.0' }, () => resolve(s));
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
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ticking;
      await Promise.allSettled([...background]);
    },
  };
}
