/**
 * The CRM page, its reset-circuit button, and Connect amoCRM: a redirect to amoCRM's consent
 * screen with the same signed state as GET /v1/crm/amocrm/connect (built by the same function).
 * @module
 */
import { Hono } from 'hono';
import { crmStatus, resetCircuit } from '../../../delivery/admin';
import type { AppDeps } from '../../../deps';
import { amoConnectUrl } from '../../api/crm';
import { auditRequest } from '../../core/audit';
import type { AdminEnv } from '../core/env';
import { notFoundPage } from '../pages/errors';
import { crmPage } from '../pages/crm';

export function crmPages(deps: AppDeps) {
  const zone = deps.config.time_zone;
  const now = () => (deps.now ?? (() => new Date()))();
  return new Hono<AdminEnv>()
    .get('/admin/crm', async (c) =>
      crmPage(c, { zone, crm: await crmStatus(deps), oauth: !!deps.settings.crm.oauth, ...(c.req.query('notice') ? { notice: c.req.query('notice') } : {}) }),
    )
    .post('/admin/crm/reset', async (c) => {
      await resetCircuit(deps);
      await auditRequest(deps, c, 'crm.reset', deps.settings.crm.accountId);
      return c.redirect('/admin/crm?notice=circuit_reset', 303);
    })
    .get('/admin/crm/connect', async (c) => {
      const url = await amoConnectUrl(deps.settings.crm, now());
      if (!url) return notFoundPage(c, 'OAuth is not configured: set AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET and AMOCRM_REDIRECT_URI.');
      await auditRequest(deps, c, 'crm.connect', deps.settings.crm.accountId, { via: 'oauth', step: 'consent' });
      return c.redirect(url, 302);
    });
}
