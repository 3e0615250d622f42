/**
 * Bearer tokens for the /v1 API: ADMIN_TOKEN (the bootstrap owner), LOOKUP_TOKEN,
 * ORIGINATE_TOKEN and METRICS_TOKEN from the environment, and API tokens made in the console or through /v1/tokens,
 * found by their SHA-256 in one indexed query — a wrong token costs the caller the same as a
 * right one (the environment's tokens are all compared, in constant time, whichever matches).
 *
 * adminAuth: the admin API. A token needs the admin scope (or read, for GET only), and its role
 * must be allowed the route by the access table (access.ts) — else 403 `forbidden`.
 * scopedAuth: /v1/lookup, /v1/originate and /metrics, for a token with that scope (or admin).
 * A token's use is recorded (last_used_at and `auth.token_used` in the audit trail) at most once a
 * minute per token.
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { audit } from '../../audit/log';
import type { Db } from '../../db/client';
import type { TokenScope } from '../../db/schema';
import type { Actor, Role } from '../../domain/actor';
import type { Logger } from '../../lib/log';
import { findToken, touchToken, type TokenRow } from '../../people/tokens';
import type { Settings } from '../../settings/env';
import { API_ACCESS, allowed } from './access';
import { clientIp } from './actor';
import { ApiError } from './errors';

export interface AuthDeps {
  db: Db;
  settings: Settings;
  log: Logger;
  now?: () => Date;
}

type EnvToken = 'ADMIN_TOKEN' | 'LOOKUP_TOKEN' | 'ORIGINATE_TOKEN' | 'METRICS_TOKEN';
type Presented = { kind: 'env'; name: EnvToken } | { kind: 'token'; row: TokenRow } | { kind: 'none' };

/** The scopes a token of the environment stands for, and the variable that holds each. */
type Scope = 'lookup' | 'originate' | 'metrics';
const SCOPE_TOKEN: Record<Scope, { name: EnvToken; setting: 'lookupToken' | 'originateToken' | 'metricsToken' }> = {
  lookup: { name: 'LOOKUP_TOKEN', setting: 'lookupToken' },
  originate: { name: 'ORIGINATE_TOKEN', setting: 'originateToken' },
  metrics: { name: 'METRICS_TOKEN', setting: 'metricsToken' },
};

/** Which token this is: every environment token compared, and one lookup by hash. */
async function identify(deps: AuthDeps, given: string | undefined): Promise<Presented> {
  if (!given) return { kind: 'none' };
  const { adminToken, lookupToken, originateToken, metricsToken } = deps.settings;
  const env = [
    ['ADMIN_TOKEN', adminToken],
    ['LOOKUP_TOKEN', lookupToken],
    ['ORIGINATE_TOKEN', originateToken],
    ['METRICS_TOKEN', metricsToken],
  ] as const;
  let found: Presented = { kind: 'none' };
  for (const [name, token] of env) {
    // No early exit: every configured token is compared, so timing does not tell which matched.
    if (token && (await timingSafeEqual(given, token)) && found.kind === 'none') found = { kind: 'env', name };
  }
  if (found.kind !== 'none') return found;
  // Not an environment token: one lookup by hash (remembered briefly per process, people/tokens.ts).
  const row = given.length <= 512 ? await findToken(deps.db, given) : null;
  return row ? { kind: 'token', row } : found;
}

function tokenActor(row: TokenRow): Actor {
  return { kind: 'token', id: `api_token:${row.id}`, role: (row.role as Role | null) ?? null };
}

/** last_used_at, and the audit entry, at most once a minute per token. */
async function recordUse(deps: AuthDeps, c: Context, row: TokenRow): Promise<void> {
  const now = (deps.now ?? (() => new Date()))();
  if (!(await touchToken(deps.db, row.id, now))) return;
  await audit(
    deps.db,
    {
      actor: tokenActor(row),
      action: 'auth.token_used',
      subject: `api_token:${row.id}`,
      detail: { name: row.name, method: c.req.method, path: c.req.path },
      ip: clientIp(c),
    },
    now,
  );
}

function refuse(c: Context, realm: string, message: string): never {
  c.header('WWW-Authenticate', `Bearer realm="${realm}"`);
  throw new ApiError('unauthorized', message);
}

export function adminAuth(deps: AuthDeps): MiddlewareHandler {
  return async (c, next) => {
    const found = await identify(deps, bearer(c.req.header('Authorization') ?? ''));
    if (found.kind === 'none') {
      if (!deps.settings.adminToken)
        refuse(c, 'calltrail admin', 'a valid API token is required (the admin API has no ADMIN_TOKEN: use a token made in the console)');
      refuse(c, 'calltrail admin', 'a valid admin bearer token is required');
    }
    if (found.kind === 'env') {
      if (found.name !== 'ADMIN_TOKEN') throw new ApiError('forbidden', `${found.name} has no admin scope`);
      c.set('actor', { kind: 'token', id: 'ADMIN_TOKEN', role: 'owner' });
      c.set('principal', { userId: null, extension: null, scopes: null });
      return next();
    }
    const { row } = found;
    const scopes = row.scopes as TokenScope[];
    const method = c.req.method.toUpperCase();
    const readOnly = method === 'GET' || method === 'HEAD';
    if (!scopes.includes('admin') && !(scopes.includes('read') && readOnly)) {
      throw new ApiError('forbidden', scopes.includes('read') ? 'this token has the read scope: GET requests only' : 'this token has no admin or read scope');
    }
    const actor = tokenActor(row);
    if (!allowed(API_ACCESS, actor.role, method, c.req.path))
      throw new ApiError('forbidden', `the ${actor.role ?? 'token'} role may not ${method} ${c.req.path}`);
    c.set('actor', actor);
    c.set('principal', { userId: null, extension: null, scopes });
    await recordUse(deps, c, row);
    await next();
  };
}

/**
 * A bearer token with a scope: the scope's own token (LOOKUP_TOKEN, ORIGINATE_TOKEN, METRICS_TOKEN), the admin
 * token, or an API token with that scope (or admin). 401 without a known token; 403 for a known
 * token of another scope. The token may also come as HTTP basic auth's password (any user name):
 * PBXs that fetch a URL — Asterisk's CURL(), FreePBX's caller ID lookup — can send credentials in
 * the URL but not a header of their own.
 */
export function scopedAuth(scope: Scope, deps: AuthDeps): MiddlewareHandler {
  const own = SCOPE_TOKEN[scope].name;
  return async (c, next) => {
    const found = await identify(deps, presentedToken(c.req.header('Authorization') ?? ''));
    if (found.kind === 'env' && (found.name === 'ADMIN_TOKEN' || found.name === own)) {
      c.set('actor', found.name === 'ADMIN_TOKEN' ? { kind: 'token', id: 'ADMIN_TOKEN', role: 'owner' } : { kind: 'token', id: own, role: null });
      c.set('principal', { userId: null, extension: null, scopes: null });
      return next();
    }
    if (found.kind === 'env') throw new ApiError('forbidden', `this token has no ${scope} scope`);
    if (found.kind === 'token') {
      const scopes = found.row.scopes as TokenScope[];
      if (!scopes.includes(scope) && !scopes.includes('admin')) throw new ApiError('forbidden', `this token has no ${scope} scope`);
      c.set('actor', tokenActor(found.row));
      c.set('principal', { userId: null, extension: null, scopes });
      await recordUse(deps, c, found.row);
      return next();
    }
    const { adminToken } = deps.settings;
    const scoped = deps.settings[SCOPE_TOKEN[scope].setting];
    if (!scoped && !adminToken)
      refuse(c, `calltrail ${scope}`, `a token with the ${scope} scope is required: set ${own} or make an API token with the ${scope} scope`);
    refuse(c, `calltrail ${scope}`, `a bearer token with the ${scope} scope is required`);
  };
}

function bearer(header: string): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() || undefined;
}

/** The bearer token, or basic auth's password; undefined when neither is given. */
function presentedToken(header: string): string | undefined {
  const token = bearer(header);
  if (token) return token;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!basic?.[1]) return undefined;
  let decoded: string;
  try {
    decoded = atob(basic[1]);
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}
