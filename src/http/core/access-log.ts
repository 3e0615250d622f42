/**
 * One log line per request: method, path (never the query: signed links carry tokens), status, ms,
 * and for a refused or failed one the error code its answer carries (`domain/errors.ts`).
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import type { ErrorCode } from '../../domain/errors';
import type { Logger } from '../../lib/log';
import { codeOfStatus } from './errors';

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
      ...(status >= 400 ? { code: (c.get('errorCode') as ErrorCode | undefined) ?? codeOfStatus(status) } : {}),
    };
    if (status >= 500) log.error('request', fields);
    else if (status >= 400) log.warn('request', fields);
    else log.info('request', fields);
  };
}
