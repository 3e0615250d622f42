/**
 * The call page's legal hold buttons: place (with a reason) and release. Audited like the same
 * action through the API (POST/DELETE /v1/calls/{id}/hold).
 * @module
 */
import type { Context } from 'hono';
import { actorName } from '../../../audit/log';
import type { AppDeps } from '../../../deps';
import { placeHold, releaseHold } from '../../../privacy/hold';
import { auditRequest } from '../../core/audit';
import type { AdminEnv } from '../core/env';
import { notFoundPage } from '../pages/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const now = (deps: AppDeps) => (deps.now ?? (() => new Date()))();

/** POST /admin/calls/:id/hold (reason) and /admin/calls/:id/hold/release. */
export async function changeHold(c: Context<AdminEnv>, deps: AppDeps, place: boolean): Promise<Response> {
  const id = c.req.param('id') ?? '';
  if (!UUID.test(id)) return notFoundPage(c, 'There is no such call.');
  if (!place) {
    if (!(await releaseHold(deps.db, id))) return notFoundPage(c, 'There is no such call.');
    await auditRequest(deps, c, 'call.release', id);
    return c.redirect(`/admin/calls/${id}?notice=hold_released`, 303);
  }
  const form = await c.req.parseBody();
  const reason = typeof form.reason === 'string' ? form.reason.trim().slice(0, 500) : '';
  if (!reason) return c.redirect(`/admin/calls/${id}?notice=hold_reason`, 303);
  if (!(await placeHold(deps.db, id, actorName(c.get('actor')), reason, now(deps)))) return notFoundPage(c, 'There is no such call.');
  await auditRequest(deps, c, 'call.hold', id, { reason });
  return c.redirect(`/admin/calls/${id}?notice=hold_placed`, 303);
}
