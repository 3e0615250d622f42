/**
 * /admin: the overview's figures, gathered in parallel.
 * @module
 */
import { Hono } from 'hono';
import { crmStatus } from '../../../delivery/admin';
import type { AppDeps } from '../../../deps';
import { listRuns } from '../../../reconcile/report';
import type { AdminEnv } from '../core/env';
import { overviewPage } from '../pages/overview';
import { callsToday } from '../queries/today';

export function overviewPages(deps: AppDeps) {
  const zone = deps.config.time_zone;
  const now = () => (deps.now ?? (() => new Date()))();
  const show = async (c: Parameters<typeof overviewPage>[0]) => {
    const [today, crm, runs] = await Promise.all([callsToday(deps.db, zone, now()), crmStatus(deps), listRuns(deps.db, { limit: 1 })]);
    return overviewPage(c, { zone, today, crm, lastRun: runs[0] ?? null });
  };
  return new Hono<AdminEnv>().get('/admin', show).get('/admin/', show);
}
