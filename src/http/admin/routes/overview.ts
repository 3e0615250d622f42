/**
 * /admin: the overview's figures, gathered in parallel.
 * @module
 */
import { Hono } from 'hono';
import { crmStatus } from '../../../delivery/admin';
import { countDeadLetters } from '../../../delivery/dead-letters';
import type { AppDeps } from '../../../deps';
import { listRuns } from '../../../reconcile/report';
import { mayOpenPage } from '../../core/access';
import type { AdminEnv } from '../core/env';
import { overviewPage } from '../pages/overview';
import { callsToday } from '../queries/today';

export function overviewPages(deps: AppDeps) {
  const zone = deps.config.time_zone;
  const now = () => (deps.now ?? (() => new Date()))();
  const show = async (c: Parameters<typeof overviewPage>[0]) => {
    // The queues' dead letters (Workers), for those who may open their page: owners and admins.
    const letters = mayOpenPage(c.get('actor')?.role ?? null, '/admin/dead-letters') ? countDeadLetters(deps.db) : null;
    const [today, crm, runs, dead] = await Promise.all([callsToday(deps.db, zone, now()), crmStatus(deps), listRuns(deps.db, { limit: 1 }), letters]);
    // A runtime without queues has none to show, unless some were left from one that had.
    const deadLetters = dead !== null && (deps.queueBody || dead > 0) ? dead : null;
    return overviewPage(c, { zone, today, crm, lastRun: runs[0] ?? null, deadLetters });
  };
  return new Hono<AdminEnv>().get('/admin', show).get('/admin/', show);
}
