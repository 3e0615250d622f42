/**
 * One error envelope for every error: {error:{code,message,requestId}}, with a code from the one
 * list in `domain/errors.ts`. Domain code throws plain errors; only this file knows HTTP statuses.
 * @module
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ERROR_CODE_LIST, type ErrorCode } from '../../domain/errors';
import { isDatabaseUnavailable } from '../../lib/error-codes';
import type { Logger } from '../../lib/log';
import { InvalidPayloadError } from '../../pbx/source';

/** The status each code is answered with. */
export const ERROR_STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  invalid_query: 400,
  invalid_body: 400,
  invalid_state: 400,
  oauth_refused: 400,
  bad_request: 400,
  unauthorized: 401,
  invalid_signature: 401,
  forbidden: 403,
  not_found: 404,
  source_disabled: 404,
  recordings_off: 404,
  oauth_disabled: 404,
  originate_off: 404,
  sandbox_off: 404,
  request_timeout: 408,
  already_delivered: 409,
  skipped: 409,
  already_exists: 409,
  no_secrets_key: 409,
  pbx_refused: 422,
  payload_too_large: 413,
  rate_limited: 429,
  header_too_large: 431,
  internal: 500,
  misconfigured: 500,
  pbx_unavailable: 502,
  unavailable: 503,
  account_unavailable: 503,
};

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_STATUS[code];
  }
}

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; requestId: string; details?: string[] };
}

/** The envelope, with the code also left on the context for the access log's line. */
export function errorResponse(c: Context, code: ErrorCode, message: string, details?: string[]) {
  c.set('errorCode', code);
  const body: ErrorEnvelope = {
    error: { code, message, requestId: (c.get('requestId') as string | undefined) ?? 'unknown', ...(details ? { details } : {}) },
  };
  return c.json(body, ERROR_STATUS[code]);
}

/** The code of a status Hono's own middleware refused with (body limit, bearer auth …). */
export function codeOfStatus(status: number): ErrorCode {
  return ERROR_CODE_LIST.find((code) => ERROR_STATUS[code] === status) ?? (status >= 500 ? 'internal' : 'invalid_request');
}

/** Errors a client can fix: said plainly. Everything else: logged with its cause, answered vaguely. */
export function handleError(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof ApiError) return errorResponse(c, err.code, err.message, err.details);
    if (err instanceof InvalidPayloadError) {
      return errorResponse(c, 'invalid_body', err.problems.slice(0, 20).join('; '), err.problems);
    }
    if (err instanceof HTTPException) return errorResponse(c, codeOfStatus(err.status), err.message || 'request refused');
    const requestId = c.get('requestId') as string | undefined;
    if (isDatabaseUnavailable(err)) {
      log.error('database unavailable', { code: 'unavailable', requestId, error: err });
      return errorResponse(c, 'unavailable', 'the database is unavailable; nothing was stored, retry later');
    }
    log.error('unhandled error', { code: 'internal', requestId, path: c.req.path, error: err });
    return errorResponse(c, 'internal', 'internal error; the request id identifies it in the logs');
  };
}
