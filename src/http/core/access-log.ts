/**
 * One log line per request: method, path (never the query: signed links carry tokens), status, ms.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../lib/log';

export function accessLog(log: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const fields = {
      requestId: c.get('requestId') as string,
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    };
    if (status >= 500) log.error('request', fields);
    else if (status >= 400) log.warn('request', fields);
    else log.info('request', fields);
  };
}
