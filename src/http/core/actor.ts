/**
 * The actor of a request, set by whichever check let it in (the admin token, a scoped token, the
 * console's session, a signed recording link) and read by the audit trail and access checks:
 * `c.get('actor')`.
 * @module
 */
import type { Context } from 'hono';
import type { Actor } from '../../domain/actor';

declare module 'hono' {
  interface ContextVariableMap {
    actor: Actor;
  }
}

/** The client's address as the edge saw it: Cloudflare's header, the proxy's first hop, else none. */
export function clientIp(c: Context): string | null {
  const cf = c.req.header('cf-connecting-ip');
  if (cf) return cf;
  const forwarded = c.req.header('x-forwarded-for');
  return forwarded ? (forwarded.split(',')[0]?.trim() ?? null) : null;
}
