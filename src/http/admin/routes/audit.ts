/**
 * The audit trail's page and its CSV (owners and admins): the same query and the same CSV as
 * GET /v1/audit and /v1/audit.csv. Dates on the form are local days in the configured time zone;
 * "to" includes its day.
 * @module
 */
import { Hono } from 'hono';
import { verifyChain } from '../../../audit/log';
import { type AuditFilters, auditPage as readAuditPage } from '../../../audit/query';
import type { AppDeps } from '../../../deps';
import { AUDIT_READERS, auditCsvResponse } from '../../api/audit';
import { filterTextProblem } from '../../api/calls';
import { dayWindow } from '../../../reconcile/window';
import type { AdminEnv } from '../core/env';
import { type AuditForm, auditPage } from '../pages/audit';
import { forbiddenPage } from '../pages/errors';

const PAGE_SIZE = 50;

export function auditPages(deps: AppDeps) {
  const zone = deps.config.time_zone;
  return new Hono<AdminEnv>()
    .get('/admin/audit', async (c) => {
      if (!AUDIT_READERS.includes(c.get('actor')?.role ?? '')) return forbiddenPage(c, 'The audit trail is for owners and admins.');
      const form = readAuditForm((name) => c.req.query(name));
      const { filters, errors } = auditFilters(form, zone);
      const cursorText = c.req.query('cursor');
      const cursor = cursorText && /^\d{1,15}$/.test(cursorText) ? Number(cursorText) : undefined;
      const [chain, page] = await Promise.all([
        verifyChain(deps.db),
        errors.length
          ? { items: [], nextCursor: null }
          : readAuditPage(deps.db, filters, { limit: PAGE_SIZE, ...(cursor !== undefined ? { before: cursor } : {}) }),
      ]);
      return auditPage(c, { zone, form, chain, rows: page.items, nextCursor: page.nextCursor, paged: cursor !== undefined, errors });
    })
    .get('/admin/audit.csv', async (c) => {
      if (!AUDIT_READERS.includes(c.get('actor')?.role ?? '')) return forbiddenPage(c, 'The audit trail is for owners and admins.');
      const { filters, errors } = auditFilters(
        readAuditForm((name) => c.req.query(name)),
        zone,
      );
      if (errors.length) return c.text(errors.join('\n'), 400);
      return auditCsvResponse(deps, c, filters);
    });
}

/** The filter form as asked: each field trimmed and cut to 200 characters. */
function readAuditForm(query: (name: string) => string | undefined): AuditForm {
  const q = (name: string) => (query(name) ?? '').trim().slice(0, 200);
  return { action: q('action'), actor: q('actor'), subject: q('subject'), from: q('from'), to: q('to') };
}

/** The form as filters, and a message per field that is not valid. */
function auditFilters(form: AuditForm, zone: string): { filters: AuditFilters; errors: string[] } {
  const errors: string[] = [];
  for (const [name, value] of Object.entries(form)) {
    const problem = filterTextProblem(name, value);
    if (problem) errors.push(problem);
  }
  if (errors.length) return { filters: {}, errors };
  const filters: AuditFilters = {};
  if (form.action) filters.action = form.action;
  if (form.actor) filters.actor = form.actor;
  if (form.subject) filters.subject = form.subject;
  for (const name of ['from', 'to'] as const) {
    if (!form[name]) continue;
    try {
      const day = dayWindow(form[name], zone);
      filters[name] = name === 'from' ? day.from : day.to;
    } catch {
      errors.push(`${name}: expected a date (YYYY-MM-DD), got "${form[name]}"`);
    }
  }
  return { filters, errors };
}
