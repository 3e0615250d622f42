/**
 * Bearer ADMIN_TOKEN for the admin API. No token configured → the admin API refuses everyone.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import './actor';
import { ApiError } from './errors';

export function adminAuth(adminToken: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!adminToken) throw new ApiError('unauthorized', 'the admin API is disabled: set ADMIN_TOKEN');
    const header = c.req.header('Authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1] || !(await timingSafeEqual(match[1].trim(), adminToken))) {
      c.header('WWW-Authenticate', 'Bearer realm="calltrail admin"');
      throw new ApiError('unauthorized', 'a valid admin bearer token is required');
    }
    c.set('actor', { kind: 'token', id: 'ADMIN_TOKEN', role: 'owner' });
    await next();
  };
}

/**
 * A bearer token with a scope: the scope's own token (LOOKUP_TOKEN, ORIGINATE_TOKEN) or the admin
 * token. 401 without a known token; 403 for a known token of another scope. The token may also
 * come as HTTP basic auth's password (any user name): PBXs that fetch a URL — Asterisk's CURL(),
 * FreePBX's caller ID lookup — can send credentials in the URL but not a header of their own.
 */
export function scopedAuth(
  scope: string,
  tokens: { scoped: string | undefined; admin: string | undefined; others: (string | undefined)[] },
): MiddlewareHandler {
  return async (c, next) => {
    const given = presentedToken(c.req.header('Authorization') ?? '');
    if (!tokens.scoped && !tokens.admin) throw new ApiError('unauthorized', `the ${scope} API is disabled: set ${scope.toUpperCase()}_TOKEN`);
    const equals = async (token: string | undefined) => !!token && !!given && (await timingSafeEqual(given, token));
    if (await equals(tokens.admin)) {
      c.set('actor', { kind: 'token', id: 'ADMIN_TOKEN', role: 'owner' });
      return next();
    }
    if (await equals(tokens.scoped)) {
      c.set('actor', { kind: 'token', id: `${scope.toUpperCase()}_TOKEN`, role: null });
      return next();
    }
    for (const other of tokens.others) {
      if (await equals(other)) throw new ApiError('forbidden', `this token has no ${scope} scope`);
    }
    c.header('WWW-Authenticate', `Bearer realm="calltrail ${scope}"`);
    throw new ApiError('unauthorized', `a bearer token with the ${scope} scope is required`);
  };
}

/** The bearer token, or basic auth's password; undefined when neither is given. */
function presentedToken(header: string): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer?.[1]) return bearer[1].trim();
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
