/**
 * OAuth 2.0 as amoCRM runs it. POST /oauth2/access_token takes JSON or a form, exchanges an
 * authorization code (single-use, 20 min) or a refresh token (**single-use**: a second use is 401
 * "Token has been revoked") for a new pair. GET /oauth stands in for the consent screen: it
 * approves at once and redirects to the client's redirect URI with code, state, referer
 * (<subdomain>.amocrm.ru) and client_id. Neither endpoint is rate-limited.
 * @module
 */
import { Hono } from 'hono';
import type { SandboxContext } from '../core/context';
import { problem } from '../core/responses';
import type { OAuthFailure, TokenPair } from '../core/tokens';

const MALFORMED =
  'The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.';

async function readFields(req: Request): Promise<Record<string, string>> {
  const type = req.headers.get('content-type') ?? '';
  const out: Record<string, string> = {};
  if (type.includes('application/json')) {
    try {
      const body = (await req.json()) as unknown;
      if (body && typeof body === 'object') {
        for (const [k, v] of Object.entries(body)) if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
      }
    } catch {
      // A broken body is reported below as missing parameters, like amoCRM does.
    }
    return out;
  }
  const form = new URLSearchParams(await req.text());
  for (const [k, v] of form) out[k] = v;
  return out;
}

export function oauthRoutes(ctx: SandboxContext) {
  const app = new Hono();
  const { store } = ctx;

  app.post('/oauth2/access_token', async (c) => {
    const f = await readFields(c.req.raw);
    const grant = f.grant_type;
    const secretKey = grant === 'refresh_token' ? 'refresh_token' : 'code';
    for (const key of ['client_id', 'client_secret', 'grant_type', 'redirect_uri', secretKey]) {
      if (!f[key]) return problem(400, MALFORMED, { hint: `Check the \`${key}\` parameter` });
    }
    const base = { clientId: f.client_id ?? '', secret: f.client_secret ?? '', redirectUri: f.redirect_uri ?? '' };
    let result: TokenPair | OAuthFailure;
    if (grant === 'authorization_code') result = store.tokens.exchangeCode({ ...base, code: f.code ?? '' }, ctx.unix());
    else if (grant === 'refresh_token') result = store.tokens.refresh({ ...base, refreshToken: f.refresh_token ?? '' }, ctx.unix());
    else return problem(400, 'The authorization grant type is not supported by the authorization server.', { hint: 'Check the `grant_type` parameter' });

    if ('detail' in result) return problem(result.status, result.detail, result.hint ? { hint: result.hint } : {});
    if (grant === 'refresh_token') ctx.stats.refreshes++;
    return c.json(result);
  });

  app.get('/oauth', (c) => {
    const clientId = c.req.query('client_id') ?? '';
    const client = store.tokens.client(clientId);
    if (!client) return problem(400, `Unknown client_id ${clientId}`);
    const target = new URL(client.redirectUri);
    target.searchParams.set('code', store.issueAuthorizationCode(clientId));
    target.searchParams.set('state', c.req.query('state') ?? '');
    target.searchParams.set('referer', `${ctx.options.subdomain}.amocrm.ru`);
    target.searchParams.set('client_id', clientId);
    return c.redirect(target.toString(), 302);
  });
  return app;
}
