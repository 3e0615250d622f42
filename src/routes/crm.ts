/**
 * Admin: the CRM connection — its status and delivery counts, resetting an open circuit,
 * retrying one call's delivery, and connecting amoCRM through OAuth (redirect URI flow).
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { and, eq, sql } from 'drizzle-orm';
import { exchangeAuthorizationCode, markStatus } from '../crm/amocrm/auth';
import { crmAccounts, deliveries } from '../db/schema';
import type { AppDeps } from '../deps';
import { ApiError } from '../http/errors';
import { errorResponses } from '../http/schemas';
import { hmacSha256Hex, verifyHmacSha256Hex } from '../lib/crypto';

const CrmStatusSchema = z
  .object({
    account_id: z.string(),
    kind: z.enum(['sandbox', 'amocrm']),
    base_url: z.string().nullable(),
    status: z.enum(['ok', 'blocked', 'unauthorized']),
    status_reason: z.string().nullable(),
    status_changed_at: z.string().nullable(),
    auth: z.enum(['sandbox', 'long_lived_token', 'oauth']),
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
  summary: "Deliver a call again now (a failed one, or a pending one that is waiting for its next attempt)",
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
  const now = () => (deps.now ?? (() => new Date()))();
  const crm = deps.settings.crm;
  const status = async () => {
    const [account] = await deps.db.select().from(crmAccounts).where(eq(crmAccounts.id, crm.accountId));
    const counts = await deps.db
      .select({ state: deliveries.state, n: sql<number>`count(*)::int` })
      .from(deliveries)
      .where(eq(deliveries.crmAccountId, crm.accountId))
      .groupBy(deliveries.state);
    return {
      account_id: crm.accountId,
      kind: crm.kind,
      base_url: crm.baseUrl ?? null,
      status: account?.status ?? ('ok' as const),
      status_reason: account?.statusReason ?? null,
      status_changed_at: account?.statusChangedAt?.toISOString() ?? null,
      auth: crm.kind === 'sandbox' ? ('sandbox' as const) : crm.longLivedToken ? ('long_lived_token' as const) : ('oauth' as const),
      token_expires_at: account?.tokenExpiresAt?.toISOString() ?? null,
      token_refreshed_at: account?.tokenRefreshedAt?.toISOString() ?? null,
      deliveries: Object.fromEntries(counts.map((c) => [c.state, Number(c.n)])),
    };
  };

  return new OpenAPIHono()
    .openapi(statusRoute, async (c) => c.json(await status(), 200))
    .openapi(resetRoute, async (c) => {
      await markStatus(deps.db, crm.accountId, 'ok', null, now());
      deps.log.warn('CRM circuit reset by an admin', { account: crm.accountId });
      deps.wakeDelivery?.();
      return c.json(await status(), 200);
    })
    .openapi(retryRoute, async (c) => {
      const { id } = c.req.valid('param');
      const [delivery] = await deps.db
        .select({ id: deliveries.id, state: deliveries.state, step: deliveries.step, reason: deliveries.reason })
        .from(deliveries)
        .where(and(eq(deliveries.conversationId, id), eq(deliveries.crmAccountId, crm.accountId)));
      if (!delivery) throw new ApiError(404, 'not_found', `call ${id} has no delivery (it has not settled yet, or does not exist)`);
      if (delivery.state === 'delivered') throw new ApiError(409, 'already_delivered', 'the call is already on the CRM');
      if (delivery.state === 'skipped') throw new ApiError(409, 'skipped', `the call is not for the CRM: ${delivery.reason ?? 'skipped'}`);
      await deps.db
        .update(deliveries)
        // outcome_unknown stays: if the last attempt may have landed, the retry looks first.
        .set({ state: 'pending', attempts: 0, nextAttemptAt: now(), reason: null, updatedAt: now() })
        .where(eq(deliveries.id, delivery.id));
      deps.wakeDelivery?.();
      return c.json({ state: 'pending' as const, step: delivery.step }, 202);
    });
}

/** GET /v1/crm/amocrm/connect (admin) and the OAuth redirect target (public, checked by state). */
export function oauthRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const crm = deps.settings.crm;
  const now = () => (deps.now ?? (() => new Date()))();
  const oauth = crm.oauth;

  app.get('/v1/crm/amocrm/connect', async (c) => {
    if (!oauth || !crm.baseUrl) throw new ApiError(404, 'oauth_disabled', 'OAuth is not configured: set AMOCRM_CLIENT_ID, _SECRET and _REDIRECT_URI');
    const issued = Math.floor(now().getTime() / 1000);
    const state = `${issued}.${await hmacSha256Hex(oauth.clientSecret, `calltrail-oauth:${issued}`)}`;
    const url = new URL(consentUrl(crm.baseUrl));
    url.searchParams.set('client_id', oauth.clientId);
    url.searchParams.set('state', state);
    url.searchParams.set('mode', 'post_message');
    return c.redirect(url.toString(), 302);
  });

  app.get('/v1/crm/amocrm/oauth/callback', async (c) => {
    if (!oauth || !crm.baseUrl) throw new ApiError(404, 'oauth_disabled', 'OAuth is not configured');
    const code = c.req.query('code');
    const state = c.req.query('state') ?? '';
    if (!code) throw new ApiError(400, 'invalid_request', `amoCRM did not send a code${c.req.query('error') ? `: ${c.req.query('error')}` : ''}`);
    const [issued, signature] = state.split('.');
    const age = now().getTime() / 1000 - Number(issued);
    const valid =
      !!issued && !!signature && age >= 0 && age < STATE_TTL_SECONDS &&
      (await verifyHmacSha256Hex(oauth.clientSecret, `calltrail-oauth:${issued}`, signature));
    if (!valid) throw new ApiError(400, 'invalid_state', 'the OAuth state is missing, forged or older than 30 minutes: start again from /v1/crm/amocrm/connect');
    const result = await exchangeAuthorizationCode(
      {
        db: deps.db,
        account: { id: crm.accountId, kind: crm.kind, baseUrl: crm.baseUrl },
        client: oauth,
        log: deps.log,
        now,
        ...(deps.crmFetch ? { fetch: deps.crmFetch } : {}),
      },
      code,
    );
    if (!result.ok) throw new ApiError(400, 'oauth_refused', `amoCRM refused the authorization code: ${result.detail}`);
    deps.wakeDelivery?.();
    return c.html(
      '<!doctype html><meta charset="utf-8"><title>calltrail</title><p>amoCRM is connected. Pending calls are being delivered; you can close this page.</p>',
    );
  });
  return app;
}

/** amoCRM's consent screen lives on www.amocrm.ru / www.kommo.com; a sandbox serves its own. */
export function consentUrl(baseUrl: string): string {
  const host = new URL(baseUrl).host;
  if (host.endsWith('.amocrm.ru')) return 'https://www.amocrm.ru/oauth';
  if (host.endsWith('.amocrm.com')) return 'https://www.amocrm.com/oauth';
  if (host.endsWith('.kommo.com')) return 'https://www.kommo.com/oauth';
  return `${baseUrl}/oauth`;
}
