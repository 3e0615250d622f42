/**
 * One error envelope for every error: {error:{code,message,requestId}}.
 * Domain code throws plain errors; only this file knows HTTP statuses.
 * @module
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isDatabaseUnavailable } from '../../lib/error-codes';
import type { Logger } from '../../lib/log';
import { InvalidPayloadError } from '../../pbx/source';

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ErrorEnvelope {
  error: { code: string; message: string; requestId: string; details?: string[] };
}

export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string, details?: string[]) {
  const body: ErrorEnvelope = {
    error: { code, message, requestId: (c.get('requestId') as string | undefined) ?? 'unknown', ...(details ? { details } : {}) },
  };
  return c.json(body, status);
}

/** Errors a client can fix: said plainly. Everything else: logged with its cause, answered vaguely. */
export function handleError(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof ApiError) return errorResponse(c, err.status, err.code, err.message, err.details);
    if (err instanceof InvalidPayloadError) {
      return errorResponse(c, 400, 'invalid_body', err.problems.slice(0, 20).join('; '), err.problems);
    }
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : `http_${status}`;
      return errorResponse(c, status, code, err.message || 'request refused');
    }
    const requestId = c.get('requestId') as string | undefined;
    if (isDatabaseUnavailable(err)) {
      log.error('database unavailable', { requestId, error: err });
      return errorResponse(c, 503, 'unavailable', 'the database is unavailable; nothing was stored, retry later');
    }
    log.error('unhandled error', { requestId, path: c.req.path, error: err });
    return errorResponse(c, 500, 'internal', 'internal error; the request id identifies it in the logs');
  };
}
