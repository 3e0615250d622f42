/**
 * Bearer ADMIN_TOKEN for the admin API. No token configured → the admin API refuses everyone.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
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
    await next();
  };
}
