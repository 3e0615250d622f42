/**
 * POST /v1/auth/amocrm: signing in to the console from the amoCRM widget, step one. The widget's
 * "Open in calltrail" calls this with amoCRM's `$authorizedAjax`, which adds amoCRM's one-time
 * token (X-Auth-Token: a JWT signed HS256 with the integration's secret key, naming the amoCRM
 * user; people/amocrm-token.ts). The token holds, is spent, and names an amoCRM user linked to an
 * enabled calltrail user → `{url}`: a sign-in ticket URL the widget opens in a new tab (step two,
 * http/admin/routes/amocrm-sign-in.tsx), valid TICKET_SECONDS, once. Outside /admin: the console's
 * POSTs need its own origin and a CSRF token, and this one comes from amoCRM's origin (CORS:
 * amoSignInCors in http/widget/routes.ts).
 *
 * Which secret checks the token:
 * - amoCRM connected by OAuth (AMOCRM_CLIENT_ID/_SECRET/_REDIRECT_URI): AMOCRM_CLIENT_SECRET; iss
 *   must be AMOCRM_BASE_URL's host and aud AMOCRM_REDIRECT_URI's origin.
 * - sandbox mode in pure local mode (http/admin/core/sandbox-access.ts): SANDBOX_WIDGET_SECRET,
 *   which the in-process sandbox CRM signs its card's tokens with. iss and aud are not checked —
 *   there is no amoCRM account address and no redirect URI to hold them to. The secret is in the
 *   source, so anyone could sign with it: on any deployment more exposed than a laptop demo the
 *   feature is off in sandbox mode.
 * - otherwise (a long-lived token has no secret key; another CRM): off, 404 `oauth_disabled`.
 *
 * Refusals are audited (`auth.sign_in_failed`, detail {via: 'amocrm', reason}); refused tokens
 * from one address count like failed password sign-ins (people/throttle.ts, under a key of their
 * own): after MAX_FAILURES in WINDOW it answers 429 for LOCKOUT, so nobody fills the trail at will.
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import type { Context } from 'hono';
import { audit } from '../../audit/log';
import { SANDBOX_WIDGET_SECRET } from '../../crm/connect';
import type { AppDeps } from '../../deps';
import type { Actor } from '../../domain/actor';
import { type AmoSignIn, type AmoSignInKeys, ticketForAmoToken, TICKET_SECONDS } from '../../people/amocrm-sign-in';
import { lockedUntil, recordFailure } from '../../people/throttle';
import { sandboxExposure } from '../admin/core/sandbox-access';
import { clientIp } from '../core/actor';
import { ApiError } from '../core/errors';
import { errorResponses } from '../core/schemas';

const ANONYMOUS: Actor = { kind: 'session', id: 'anonymous', role: null };
/** Where the ticket is redeemed: the console's page for it (http/admin/routes/amocrm-sign-in.tsx), open like the login. */
export const AMOCRM_LOGIN_PATH = '/admin/login/amocrm';

const route = createRoute({
  method: 'post',
  path: '/v1/auth/amocrm',
  tags: ['access'],
  summary:
    "Sign in to the console from the amoCRM widget: amoCRM's one-time token (X-Auth-Token, added by the widget's $authorizedAjax) → a one-time sign-in URL for the calltrail user linked to that amoCRM user. Authenticated by the token, no bearer; answers CORS for amoCRM and Kommo account origins",
  request: {
    headers: z.object({
      'x-auth-token': z
        .string()
        .optional()
        .openapi({ description: "amoCRM's one-time token: a JWT signed HS256 with the integration's secret key (AMOCRM_CLIENT_SECRET)" }),
    }),
  },
  responses: {
    200: {
      description: `Open this URL in a new tab within ${TICKET_SECONDS} s; it signs the browser in once`,
      content: { 'application/json': { schema: z.object({ url: z.string(), expires_at: z.string() }).openapi('AmoSignInTicket') } },
    },
    ...errorResponses(401, 403, 404, 429),
  },
});

/** The secret (and the iss/aud to hold the token to), or why sign-in with amoCRM is off here. */
export function amoSignInKeys(deps: Pick<AppDeps, 'settings' | 'config'>): AmoSignInKeys | { off: string } {
  const crm = deps.settings.crm;
  if (crm.kind === 'amocrm' && crm.oauth && crm.baseUrl) {
    return { secret: crm.oauth.clientSecret, issuerHost: new URL(crm.baseUrl).host, audienceOrigin: new URL(crm.oauth.redirectUri).origin };
  }
  if (crm.kind === 'amocrm') {
    return {
      off: "sign-in with amoCRM needs the amoCRM integration's secret key: connect amoCRM by OAuth (AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET, AMOCRM_REDIRECT_URI); a long-lived token has none",
    };
  }
  if (crm.kind !== 'sandbox') return { off: `sign-in with amoCRM needs amoCRM as the CRM; this deployment's is ${crm.kind}` };
  if (sandboxExposure(deps.settings, deps.config).length === 0) return { secret: SANDBOX_WIDGET_SECRET };
  return { off: "sign-in with amoCRM in sandbox mode is for a local demo only (the sandbox's signing secret is public): connect amoCRM by OAuth" };
}

const REFUSALS: Record<string, string> = {
  malformed: 'it is not a JWT',
  unsupported_alg: 'it is not signed HS256',
  bad_signature: "its signature does not match: is AMOCRM_CLIENT_SECRET this integration's secret key?",
  expired: 'it has expired (check the clocks)',
  not_yet_valid: 'it is not valid yet (check the clocks)',
  wrong_issuer: 'it comes from another amoCRM account than AMOCRM_BASE_URL',
  wrong_audience: "it is for another service: the integration's redirect URI must be AMOCRM_REDIRECT_URI's site",
  no_user: 'it names no amoCRM user',
  no_jti: 'it has no id',
  replayed: 'it was used already (each one-time token signs in once)',
};

export function amoSignInRoutes(deps: AppDeps) {
  const now = () => (deps.now ?? (() => new Date()))();

  /** Audits a refusal, counts it against the address when the caller could have made it up, and throws the answer. */
  async function refuse(c: Context, result: Extract<AmoSignIn, { ok: false }>, throttle: string[], at: Date): Promise<never> {
    const ip = clientIp(c);
    const subject = result.amocrmUserId !== undefined ? `amocrm_user:${result.amocrmUserId}` : null;
    await audit(deps.db, { actor: ANONYMOUS, action: 'auth.sign_in_failed', subject, detail: { via: 'amocrm', reason: result.reason }, ip }, at);
    deps.log.warn('amoCRM sign-in refused', { reason: result.reason, ...(result.amocrmUserId !== undefined ? { amocrmUserId: result.amocrmUserId } : {}), ip });
    if (result.reason === 'not_linked') {
      throw new ApiError('forbidden', `no calltrail user is linked to amoCRM user ${result.amocrmUserId}: an admin links one on the console's Users page`);
    }
    if (result.reason === 'disabled') throw new ApiError('forbidden', `the calltrail user linked to amoCRM user ${result.amocrmUserId} is disabled`);
    await recordFailure(deps.db, throttle, at);
    throw new ApiError('unauthorized', `amoCRM's one-time token was refused (${result.reason}): ${REFUSALS[result.reason] ?? result.reason}`);
  }

  return new OpenAPIHono().openapi(route, async (c) => {
    const keys = amoSignInKeys(deps);
    if ('off' in keys) throw new ApiError('oauth_disabled', keys.off);
    const token = c.req.header('x-auth-token')?.trim();
    if (!token) {
      throw new ApiError(
        'unauthorized',
        "no X-Auth-Token header: the calltrail widget in amoCRM sends this request with $authorizedAjax, which adds amoCRM's one-time token",
      );
    }
    const at = now();
    const ip = clientIp(c);
    const throttle = ip ? [`amocrm-ip:${ip}`] : [];
    const until = await lockedUntil(deps.db, throttle, at);
    if (until) {
      c.header('Retry-After', String(Math.ceil((until.getTime() - at.getTime()) / 1000)));
      throw new ApiError('rate_limited', 'too many refused amoCRM sign-ins from this address; try again later');
    }
    const result = await ticketForAmoToken(deps.db, keys, token, at);
    if (!result.ok) return refuse(c, result, throttle, at);
    const url = `${deps.settings.publicUrl.replace(/\/+$/, '')}${AMOCRM_LOGIN_PATH}?t=${encodeURIComponent(result.ticket)}`;
    const expires = new Date(at.getTime() + TICKET_SECONDS * 1000).toISOString();
    return c.json({ url, expires_at: expires }, 200);
  });
}
