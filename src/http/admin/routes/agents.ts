/**
 * /admin/agents?from=&to=: local days, both inclusive; by default the last seven (today too).
 * @module
 */
import { Hono } from 'hono';
import { DateTime } from 'luxon';
import type { AppDeps } from '../../../deps';
import { dayWindow } from '../../../reconcile/window';
import type { AdminEnv } from '../core/env';
import { agentsPage } from '../pages/agents';
import { agentStats } from '../queries/agents';

const MAX_DAYS = 366;

export function agentsPages(deps: AppDeps) {
  const zone = deps.config.time_zone;
  const now = () => (deps.now ?? (() => new Date()))();
  return new Hono<AdminEnv>().get('/admin/agents', async (c) => {
    const today = DateTime.fromJSDate(now(), { zone });
    let from = c.req.query('from')?.trim() || (today.minus({ days: 6 }).toISODate() ?? '');
    let to = c.req.query('to')?.trim() || (today.toISODate() ?? '');
    let error: string | undefined;
    let period: { from: Date; to: Date } | undefined;
    try {
      period = { from: dayWindow(from, zone).from, to: dayWindow(to, zone).to };
      if (period.from >= period.to) error = '"From" is after "to".';
      else if (period.to.getTime() - period.from.getTime() > MAX_DAYS * 86_400_000 + 3_600_000) error = `At most ${MAX_DAYS} days at a time.`;
    } catch {
      error = 'Expected dates as YYYY-MM-DD.';
    }
    if (error || !period) {
      from = today.minus({ days: 6 }).toISODate() ?? '';
      to = today.toISODate() ?? '';
      period = { from: dayWindow(from, zone).from, to: dayWindow(to, zone).to };
    }
    const stats = await agentStats(deps.db, deps.config, period);
    return agentsPage(c, { zone, from, to, stats, ...(error ? { error } : {}) });
  });
}
