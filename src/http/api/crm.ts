/**
 * Admin: the CRM connection — its status and delivery counts, resetting an open circuit,
 * retrying one call's delivery, and connecting amoCRM through OAuth (redirect URI flow).
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import { audit } from '../../audit/log';
import { exchangeAuthorizationCode, NO_SECRETS_KEYS } from '../../crm/amocrm/auth';
import { crmStatus, resetCircuit, retryDelivery } from '../../delivery/admin';
import type { CrmSettings } from '../../crm/settings';
import type { AppDeps } from '../../deps';
import { SYSTEM_ACTOR } from '../../domain/actor';
import { clientIp } from '../core/actor';
import { auditRequest } from '../core/audit';
import { ApiError } from '../core/errors';
import { errorResponses } from '../core/schemas';
import { hmacSha256Hex, verifyHmacSha256Hex } from '../../lib/crypto';

const CrmStatusSchema = z
  .object({
    account_id: z.string(),
    kind: z.enum(['sandbox', 'amocrm', 'generic', 'bitrix24']),
    base_url: z.string().nullable(),
    status: z.enum(['ok', 'blocked', 'unauthorized']),
    status_reason: z.string().nullable(),
    status_changed_at: z.string().nullable(),
    auth: z.enum(['sandbox', 'long_lived_token', 'oauth', 'config']),
    token_expires_at: z.string().nullable(),
    token_refreshed_at: z.string().nullable(),
    deliveries: z.record(z.string(), z.number().int()),
  })
  .openapi('CrmStatus');

const statusRoute = createRoute({
  method: 'get',
  path: '/v1/crm',
  tags: ['admin'],
  summary: 'The CRM connection: status, credentials, deliveries by state',
  security: [{ bearer: [] }],
  responses: { 200: { description: 'Status', content: { 'application/json': { schema: CrmStatusSchema } } }, ...errorResponses(401) },
});

const resetRoute = createRoute({
  method: 'post',
  path: '/v1/crm/reset',
  tags: ['admin'],
  summary: 'Close an open circuit (after amoCRM lifted a block, or credentials were fixed)',
  security: [{ bearer: [] }],
  responses: { 200: { description: 'Status after the reset', content: { 'application/json': { schema: CrmStatusSchema } } }, ...errorResponses(401) },
});

const retryRoute = createRoute({
  method: 'post',
  path: '/v1/calls/{id}/retry',
  tags: ['admin'],
  summary: 'Deliver a call again now (a failed one, or a pending one that is waiting for its next attempt)',
  security: [{ bearer: [] }],
  request: { params: z.object({ id: z.string().uuid() }) },
  responses: {
    202: { description: 'Queued', content: { 'application/json': { schema: z.object({ state: z.literal('pending'), step: z.string() }) } } },
    ...errorResponses(401, 404, 409),
  },
});

/** OAuth state: issued-at + HMAC with the client secret, so only our own connect link completes. */
const STATE_TTL_SECONDS = 30 * 60;

export function crmRoutes(deps: AppDeps) {
  const status = async () => {
    const s = await crmStatus(deps);
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    return {
      account_id: s.accountId,
      kind: s.kind,
      base_url: s.baseUrl,
      status: s.status,
      status_reason: s.statusReason,
      status_changed_at: iso(s.statusChangedAt),
      auth: s.auth,
      token_expires_at: iso(s.tokenExpiresAt),
      token_refreshed_at: iso(s.tokenRefreshedAt),
      deliveries: s.deliveries,
    };
  };

  return new OpenAPIHono()
    .openapi(statusRoute, async (c) => c.json(await status(), 200))
    .openapi(resetRoute, async (c) => {
      await resetCircuit(deps);
      await auditRequest(deps, c, 'crm.reset', deps.settings.crm.accountId);
      return c.json(await status(), 200);
    })
    .openapi(retryRoute, async (c) => {
      const id = c.req.valid('param').id;
      const outcome = await retryDelivery(deps, id);
      if (!outcome.ok) throw new ApiError(outcome.code, outcome.message);
      await auditRequest(deps, c, 'call.retry', id, { step: outcome.step });
      return c.json({ state: 'pending' as const, step: outcome.step }, 202);
    });
}

/** GET /v1/crm/amocrm/connect (admin) and the OAuth redirect target (public, checked by state). */
export function oauthRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const crm = deps.settings.crm;
  const now = () => (deps.now ?? (() => new Date()))();
  const oauth = crm.oauth;

  app.get('/v1/crm/amocrm/connect', async (c) => {
    const url = await amoConnectUrl(crm, now());
    if (!url) throw new ApiError('oauth_disabled', 'OAuth is not configured: set AMOCRM_CLIENT_ID, _SECRET and _REDIRECT_URI');
    if (!deps.settings.secretsKeys.length) throw new ApiError('oauth_disabled', NO_SECRETS_KEYS);
    await auditRequest(deps, c, 'crm.connect', crm.accountId, { via: 'oauth', step: 'consent' });
    return c.redirect(url, 302);
  });

  app.get('/v1/crm/amocrm/oauth/callback', async (c) => {
    if (!oauth || !crm.baseUrl) throw new ApiError('oauth_disabled', 'OAuth is not configured');
    if (!deps.settings.secretsKeys.length) throw new ApiError('oauth_disabled', NO_SECRETS_KEYS);
    const code = c.req.query('code');
    const state = c.req.query('state') ?? '';
    if (!code) throw new ApiError('invalid_request', `amoCRM did not send a code${c.req.query('error') ? `: ${c.req.query('error')}` : ''}`);
    const [issued, signature] = state.split('.');
    const age = now().getTime() / 1000 - Number(issued);
    const valid =
      !!issued && !!signature && age >= 0 && age < STATE_TTL_SECONDS && (await verifyHmacSha256Hex(oauth.clientSecret, `calltrail-oauth:${issued}`, signature));
    if (!valid) throw new ApiError('invalid_state', 'the OAuth state is missing, forged or older than 30 minutes: start again from /v1/crm/amocrm/connect');
    const result = await exchangeAuthorizationCode(
      {
        db: deps.db,
        account: { id: crm.accountId, kind: crm.kind, baseUrl: crm.baseUrl },
        client: oauth,
        log: deps.log,
        now,
        keys: deps.settings.secretsKeys,
        ...(deps.crmFetch ? { fetch: deps.crmFetch } : {}),
      },
      code,
    );
    if (!result.ok) throw new ApiError('oauth_refused', `amoCRM refused the authorization code: ${result.detail}`);
    // Reached by the admin's browser with our signed state, not a token: calltrail records it.
    const detail = { via: 'oauth', step: 'authorized' };
    await audit(deps.db, { actor: SYSTEM_ACTOR, action: 'crm.connect', subject: crm.accountId, detail, ip: clientIp(c) }, now());
    deps.wakeDelivery?.();
    return c.html(
      '<!doctype html><meta charset="utf-8"><title>calltrail</title><p>amoCRM is connected. Pending calls are being delivered; you can close this page.</p>',
    );
  });
  return app;
}

/**
 * amoCRM's consent screen with a signed state (see the callback), or null when OAuth is not
 * configured. The JSON API's connect route and the admin console's Connect button both use it.
 */
export async function amoConnectUrl(crm: CrmSettings, now: Date): Promise<string | null> {
  const oauth = crm.oauth;
  if (!oauth || !crm.baseUrl) return null;
  const issued = Math.floor(now.getTime() / 1000);
  const state = `${issued}.${await hmacSha256Hex(oauth.clientSecret, `calltrail-oauth:${issued}`)}`;
  const url = new URL(consentUrl(crm.baseUrl));
  url.searchParams.set('client_id', oauth.clientId);
  url.searchParams.set('state', state);
  url.searchParams.set('mode', 'post_message');
  return url.toString();
}

/** amoCRM's consent screen lives on www.amocrm.ru / www.kommo.com; a sandbox serves its own. */
export function consentUrl(baseUrl: string): string {
  const host = new URL(baseUrl).host;
  if (host.endsWith('.amocrm.ru')) return 'https://www.amocrm.ru/oauth';
  if (host.endsWith('.amocrm.com')) return 'https://www.amocrm.com/oauth';
  if (host.endsWith('.kommo.com')) return 'https://www.kommo.com/oauth';
  return `${baseUrl}/oauth`;
}
