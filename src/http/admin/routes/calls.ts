/**
 * The calls pages: the search (through the same query as GET /v1/calls), one call, and its
 * retry button. Dates on the form are local days in the configured time zone; "to" includes
 * its day, as a person reading the form would expect.
 * @module
 */
import { Hono } from 'hono';
import { DELIVERY_STATES } from '../../../domain/delivery';
import { OUTCOMES, type Outcome } from '../../../domain/call';
import { retryDelivery } from '../../../delivery/admin';
import { ledgerContext, type AppDeps } from '../../../deps';
import { decodeCallCursor, findCall, searchCalls, type CallFilters, type CallStateFilter } from '../../../ledger/calls-query';
import { filterTextProblem, plausibleCursor } from '../../api/calls';
import { dayWindow } from '../../../reconcile/window';
import { ownExtension } from '../../core/access';
import { auditRequest } from '../../core/audit';
import type { AdminEnv } from '../core/env';
import { retryNotice } from '../core/notices';
import { callPage } from '../pages/call';
import { callsPage, type CallsForm } from '../pages/calls';
import { notFoundPage } from '../pages/errors';
import { playerLink } from '../queries/player';
import { revokeCallLinks } from './recording-access';
import { changeHold } from './legal-hold';

const PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATES: readonly string[] = [...DELIVERY_STATES, 'unsettled'];

export function callsPages(deps: AppDeps) {
  const ctx = ledgerContext(deps.settings, deps.config);
  const zone = deps.config.time_zone;
  const now = () => (deps.now ?? (() => new Date()))();

  return new Hono<AdminEnv>()
    .get('/admin/calls', async (c) => {
      const form = readCallsForm((name) => c.req.query(name));
      const cursorText = c.req.query('cursor');
      const { filters, errors } = callFilters(form, cursorText, zone);
      // A rep sees their own extension's calls only (access.ts); a rep with none, no calls.
      const own = ownExtension(c);
      if (own === null) errors.push('no extension is set for you: ask an admin to set yours to see your calls');
      else if (own !== undefined) filters.extension = own;
      const page = errors.length ? { items: [], nextCursor: null } : await searchCalls(deps.db, ctx.rules, deps.settings.crm.accountId, filters);
      return callsPage(c, { zone, form, rows: page.items, nextCursor: page.nextCursor, paged: !!filters.cursor, errors });
    })
    .get('/admin/calls/:id', async (c) => {
      const id = c.req.param('id');
      const call = UUID.test(id) ? await findCall(deps.db, id) : null;
      const own = ownExtension(c);
      if (!call || (own !== undefined && call.extension !== own)) return notFoundPage(c, 'There is no such call.');
      const delivery = call.deliveries.find((d) => d.crmAccountId === deps.settings.crm.accountId) ?? null;
      const audio = await playerLink(deps, call.audio ?? null, now(), c.get('actor')?.id ?? null);
      return callPage(c, { zone, call, delivery, audio, archiving: !!deps.recordings, notice: c.req.query('notice') });
    })
    .post('/admin/calls/:id/retry', async (c) => {
      const id = c.req.param('id');
      if (!UUID.test(id)) return notFoundPage(c, 'There is no such call.');
      const outcome = await retryDelivery(deps, id);
      if (outcome.ok) await auditRequest(deps, c, 'call.retry', id, { step: outcome.step });
      const code = outcome.ok ? 'retry_queued' : retryNotice(outcome.code);
      return c.redirect(`/admin/calls/${id}?notice=${code}`, 303);
    })
    .post('/admin/calls/:id/revoke-links', (c) => revokeCallLinks(c, deps))
    .post('/admin/calls/:id/hold', (c) => changeHold(c, deps, true))
    .post('/admin/calls/:id/hold/release', (c) => changeHold(c, deps, false));
}

/** The search form as asked: each field trimmed and cut to 64 characters. */
function readCallsForm(query: (name: string) => string | undefined): CallsForm {
  const q = (name: string) => (query(name) ?? '').trim().slice(0, 64);
  return { phone: q('phone'), extension: q('extension'), from: q('from'), to: q('to'), outcome: q('outcome'), state: q('state'), limit: q('limit') };
}

/** The form (and the pager's cursor) as search filters, and a message per field that is not valid. */
function callFilters(form: CallsForm, cursorText: string | undefined, zone: string): { filters: CallFilters; errors: string[] } {
  const errors: string[] = [];
  // Text PostgreSQL refuses (NUL, lone surrogates) is a message, not a 500.
  for (const [name, value] of Object.entries({ ...form, cursor: cursorText })) {
    const problem = filterTextProblem(name, value);
    if (problem) errors.push(problem);
  }
  const filters: CallFilters = { limit: PAGE_SIZE };
  if (form.phone) filters.phone = form.phone;
  if (form.extension) filters.extension = form.extension;
  const from = form.from ? dayEdge(form, 'from', zone, errors) : undefined;
  const to = form.to ? dayEdge(form, 'to', zone, errors) : undefined;
  if (from) filters.from = from;
  if (to) filters.to = to;
  if (form.outcome) {
    if ((OUTCOMES as readonly string[]).includes(form.outcome)) filters.outcome = form.outcome as Outcome;
    else errors.push(`outcome: expected one of ${OUTCOMES.join(', ')}`);
  }
  if (form.state) {
    if (STATES.includes(form.state)) filters.state = form.state as CallStateFilter;
    else errors.push(`delivery: expected one of ${STATES.join(', ')}`);
  }
  if (form.limit) {
    const limit = Number(form.limit);
    if (Number.isInteger(limit) && limit >= 1 && limit <= 200) filters.limit = limit;
    else errors.push('limit: expected a whole number from 1 to 200');
  }
  if (cursorText) {
    const cursor = decodeCallCursor(cursorText);
    if (cursor && plausibleCursor(cursor)) filters.cursor = cursor;
    else errors.push('that page link is not valid any more; start from the newest calls');
  }
  return { filters, errors };
}

/** "from" starts its local day, "to" ends its own (inclusive); a date that is not one is an error. */
function dayEdge(form: CallsForm, name: 'from' | 'to', zone: string, errors: string[]): Date | undefined {
  try {
    const day = dayWindow(form[name], zone);
    return name === 'from' ? day.from : day.to;
  } catch {
    errors.push(`${name}: expected a date (YYYY-MM-DD), got "${form[name]}"`);
    return undefined;
  }
}
