/**
 * /admin/live (the page) and /admin/live.json (what it polls): calls ringing or talking now.
 * @module
 */
import { Hono } from 'hono';
import type { AppDeps } from '../../../deps';
import type { AdminEnv } from '../core/env';
import { livePage } from '../pages/live';
import { liveJson, liveNow } from '../queries/live';

export function livePages(deps: AppDeps) {
  const now = () => (deps.now ?? (() => new Date()))();
  return new Hono<AdminEnv>()
    .get('/admin/live', async (c) => {
      const at = now();
      return livePage(c, { calls: await liveNow(deps.db, at), now: at });
    })
    .get('/admin/live.json', async (c) => {
      const at = now();
      return c.json(liveJson(await liveNow(deps.db, at), at));
    });
}
