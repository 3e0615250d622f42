/**
 * The reconciliation pages: the runs (paged by start time), "run now" for a day, one run with
 * its findings (paged by finding id, filtered by kind), and its findings as a CSV download,
 * streamed from the database a page at a time.
 * @module
 */
import { Hono } from 'hono';
import { DateTime } from 'luxon';
import { FINDING_KINDS, type FindingKind } from '../../../domain/reconcile';
import type { AppDeps } from '../../../deps';
import { findingsCsvResponse, findingsPage, getRun, listRuns } from '../../../reconcile/report';
import { auditRequest } from '../../core/audit';
import type { AdminEnv } from '../core/env';
import { notFoundPage } from '../pages/errors';
import { runPage } from '../pages/run';
import { runsPage } from '../pages/runs';
import { RunRequestError, startInBackground } from '../../../reconcile/runs';

const RUNS_PAGE = 30;
const FINDINGS_PAGE = 100;
const RUN_REF = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\.csv)?$/i;

export function runsPages(deps: AppDeps) {
  const zone = deps.config.time_zone;
  const now = () => (deps.now ?? (() => new Date()))();
  const yesterday = () => DateTime.fromJSDate(now(), { zone }).minus({ days: 1 }).toISODate() ?? '';

  const list = async (before: Date | undefined) => {
    const rows = await listRuns(deps.db, { limit: RUNS_PAGE + 1, ...(before ? { before } : {}) });
    const runs = rows.slice(0, RUNS_PAGE);
    const last = runs.at(-1);
    return { runs, older: rows.length > RUNS_PAGE && last ? last.startedAt.toISOString() : null };
  };

  return new Hono<AdminEnv>()
    .get('/admin/runs', async (c) => {
      const beforeText = c.req.query('before');
      const before = beforeText ? new Date(beforeText) : undefined;
      const valid = !before || !Number.isNaN(before.getTime());
      const page = await list(valid ? before : undefined);
      return runsPage(c, {
        zone,
        ...page,
        paged: !!before && valid,
        date: yesterday(),
        ...(c.req.query('notice') ? { notice: c.req.query('notice') } : {}),
      });
    })
    .post('/admin/runs', async (c) => {
      const form = await c.req.parseBody();
      const date = typeof form.date === 'string' ? form.date.trim() : '';
      const refuse = async (error: string) => runsPage(c, { zone, ...(await list(undefined)), paged: false, date: date || yesterday(), error });
      let started;
      try {
        started = await startInBackground(deps, { date });
      } catch (error) {
        if (error instanceof RunRequestError) return refuse(`Cannot reconcile "${date}": ${error.message}.`);
        throw error;
      }
      await auditRequest(deps, c, 'reconcile.start', started.id, { joined: started.joined, date });
      deps.log.info('reconciliation started from the console', { run: started.id, joined: started.joined });
      return c.redirect(`/admin/runs/${started.id}?notice=${started.joined ? 'run_joined' : 'run_started'}`, 303);
    })
    .get('/admin/runs/:ref', async (c) => {
      const match = RUN_REF.exec(c.req.param('ref'));
      const id = match?.[1]?.toLowerCase();
      const run = id ? await getRun(deps.db, id) : null;
      if (!run || !id) return notFoundPage(c, 'There is no such reconciliation run.');
      if (match?.[2]) {
        await auditRequest(deps, c, 'export.findings', run.id, { format: 'csv' });
        return findingsCsvResponse(deps.db, run, zone, deps.settings.crm.accountId);
      }
      const kindText = c.req.query('kind') ?? '';
      const kind = (FINDING_KINDS as readonly string[]).includes(kindText) ? (kindText as FindingKind) : undefined;
      const afterText = c.req.query('after');
      const after = afterText && /^\d{1,15}$/.test(afterText) ? Number(afterText) : undefined;
      const rows = await findingsPage(deps.db, id, {
        limit: FINDINGS_PAGE + 1,
        crmAccountId: deps.settings.crm.accountId,
        ...(kind ? { kind } : {}),
        ...(after !== undefined ? { after } : {}),
      });
      const findings = rows.slice(0, FINDINGS_PAGE);
      return runPage(c, {
        zone,
        run,
        findings,
        kind: kind ?? '',
        after: after ?? null,
        next: rows.length > FINDINGS_PAGE ? (findings.at(-1)?.id ?? null) : null,
        ...(c.req.query('notice') ? { notice: c.req.query('notice') } : {}),
      });
    });
}
