/**
 * What a Bitrix24 portal's answers mean, as data for the CRM transport. Bitrix24 reports errors as
 * `{"error": CODE, "error_description": text}` — usually with a 4xx or 5xx status, but a 200
 * carrying `error` is an error too (older portals and proxies answer that way), so the code
 * decides before the status:
 * - QUERY_LIMIT_EXCEEDED (503), OPERATION_TIME_LIMIT (429): nothing was done → rate_limited.
 * - the webhook or token refused (NO_AUTH_FOUND, INVALID_CREDENTIALS, expired_token,
 *   insufficient_scope, WRONG_AUTH_TYPE…) → unauthorized; a webhook cannot be renewed.
 * - ACCESS_DENIED, OVERLOAD_LIMIT (a manual block), PORTAL_DELETED, any 403 → blocked.
 * - INTERNAL_SERVER_ERROR, ERROR_UNEXPECTED_ANSWER, any other 5xx → unavailable (a write may
 *   have been applied: the next attempt looks before it writes again).
 * - anything else (ERROR_CORE, INVALID_ARGUMENT, …) → rejected with Bitrix24's words; the adapter
 *   reads some of them (e.g. "Call is not found").
 * @module
 */
import { maskText } from '../../lib/log';
import { snippet, type VendorTable } from '../answers';

export const BITRIX24_TABLE: VendorTable = {
  headers: {},
  statuses: { rate_limited: [429, 503], blocked: [403], unauthorized: [401], unavailable: ['5xx'] },
  codes: {
    field: 'error',
    rate_limited: ['QUERY_LIMIT_EXCEEDED', 'OPERATION_TIME_LIMIT'],
    blocked: ['ACCESS_DENIED', 'OVERLOAD_LIMIT', 'PORTAL_DELETED', 'ERROR_PORTAL_BLOCKED'],
    unauthorized: [
      'NO_AUTH_FOUND',
      'INVALID_CREDENTIALS',
      'INVALID_REQUEST',
      'EXPIRED_TOKEN',
      'INVALID_TOKEN',
      'INSUFFICIENT_SCOPE',
      'WRONG_AUTH_TYPE',
      'USER_ACCESS_ERROR',
      'ERROR_METHOD_NOT_FOUND',
    ],
    unavailable: ['INTERNAL_SERVER_ERROR', 'ERROR_UNEXPECTED_ANSWER'],
  },
  waitHeader: 'retry-after',
  quote: (text, body) => {
    const { error, error_description: description } = (body ?? {}) as { error?: unknown; error_description?: unknown };
    if (typeof error !== 'string' && typeof description !== 'string') return snippet(text);
    return maskText([error, description].filter((part) => typeof part === 'string' && part).join(': ')).slice(0, 500);
  },
  statusInDetail: ['unavailable'],
};
