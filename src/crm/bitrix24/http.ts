/**
 * Every request to one Bitrix24 portal goes through here: the pace (crm/limiter.ts), the call
 * `POST <webhook>/<method>.json` with a JSON body, and the translation of Bitrix24's answers
 * into CrmError failures, which the delivery worker's retry and exactly-once logic relies on.
 *
 * Bitrix24 reports errors as `{"error": CODE, "error_description": text}` — usually with a 4xx
 * or 5xx status, but a 200 carrying `error` is an error too (older portals and proxies answer
 * that way), so the body decides, not the status alone:
 * - QUERY_LIMIT_EXCEEDED (503), OPERATION_TIME_LIMIT (429): nothing was done → rate_limited;
 *   retried here after the limiter's pause (safe whatever the method).
 * - the webhook or token refused (NO_AUTH_FOUND, INVALID_CREDENTIALS, expired_token,
 *   insufficient_scope, WRONG_AUTH_TYPE…) → unauthorized.
 * - ACCESS_DENIED, OVERLOAD_LIMIT (a manual block), PORTAL_DELETED, any 403 → blocked.
 * - 5xx, an unreadable answer, a dropped connection → unavailable; `sent` is true for writes
 *   (the portal may have acted), so the next attempt looks before it writes again.
 * - anything else (ERROR_CORE, INVALID_ARGUMENT, …) → rejected with Bitrix24's words; the
 *   adapter reads some of them (e.g. "Call is not found").
 * @module
 */
import { networkFailure, parseRetryAfter, snippet } from '../http-failures';
import { rateLimitWaitMs, MAX_CONSECUTIVE_429S } from '../../delivery/retry-policy';
import { maskText } from '../../lib/log';
import type { RateLimiter } from '../limiter';
import { CrmError, type CrmFailure } from '../port';
import { Envelope } from './schemas';

export interface Bitrix24HttpOptions {
  /** `https://<portal>/rest/<user>/<code>/`, with the trailing slash. */
  webhookUrl: string;
  limiter: RateLimiter;
  fetch: typeof fetch;
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface Bitrix24Answer {
  result: unknown;
  next: number | null;
  total: number | null;
}

const RATE_LIMITED = new Set(['QUERY_LIMIT_EXCEEDED', 'OPERATION_TIME_LIMIT']);
const UNAUTHORIZED = new Set([
  'NO_AUTH_FOUND',
  'INVALID_CREDENTIALS',
  'INVALID_REQUEST',
  'EXPIRED_TOKEN',
  'INVALID_TOKEN',
  'INSUFFICIENT_SCOPE',
  'WRONG_AUTH_TYPE',
  'USER_ACCESS_ERROR',
  'ERROR_METHOD_NOT_FOUND',
]);
const BLOCKED = new Set(['ACCESS_DENIED', 'OVERLOAD_LIMIT', 'PORTAL_DELETED', 'ERROR_PORTAL_BLOCKED']);

export class Bitrix24Http {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: Bitrix24HttpOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Calls one REST method. `write` says whether the method changes the portal: a write whose
   * answer was lost is never repeated here (the caller looks it up first); a read is tried
   * up to three times.
   */
  async call(method: string, params: Record<string, unknown>, write: boolean): Promise<Bitrix24Answer> {
    let limited = 0;
    for (let tries = 1; ; tries++) {
      try {
        return await this.once(method, params, write);
      } catch (error) {
        if (!(error instanceof CrmError)) throw error;
        const f = error.failure;
        if (f.kind === 'rate_limited') {
          limited++;
          this.options.limiter.penalize(rateLimitWaitMs(limited, f.retryAfterMs));
          if (limited < MAX_CONSECUTIVE_429S) continue;
        } else if (f.kind === 'unavailable' && (!write || !f.sent) && tries < 3) {
          await this.sleep(500 * tries);
          continue;
        }
        throw error;
      }
    }
  }

  private async once(method: string, params: Record<string, unknown>, write: boolean): Promise<Bitrix24Answer> {
    await this.options.limiter.acquire();
    let response: Response;
    try {
      response = await this.options.fetch(`${this.options.webhookUrl}${method}.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(params),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw networkFailure(error, write);
    }
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      throw new CrmError(statusOnly(response.status, snippet(text) || 'empty answer', write));
    }
    const envelope = Envelope.safeParse(body);
    if (!envelope.success) throw new CrmError({ kind: 'unavailable', sent: write, status: response.status, detail: `unexpected ${method} answer` });
    const { error, error_description: description } = envelope.data;
    if (error !== undefined || response.status >= 300) {
      const detail = maskText([error, description].filter(Boolean).join(': ') || `HTTP ${response.status}`).slice(0, 500);
      throw new CrmError(classify(error ?? '', response.status, detail, write, response.headers.get('retry-after')));
    }
    if (!('result' in envelope.data)) throw new CrmError({ kind: 'unavailable', sent: write, status: response.status, detail: `${method} answered without a result` });
    return { result: envelope.data.result, next: envelope.data.next ?? null, total: envelope.data.total ?? null };
  }
}

/** Bitrix24's error code (case varies: `expired_token`, `QUERY_LIMIT_EXCEEDED`) and the HTTP status → what happened. */
export function classify(code: string, status: number, detail: string, write: boolean, retryAfter: string | null = null): CrmFailure {
  const c = code.toUpperCase();
  if (RATE_LIMITED.has(c)) return { kind: 'rate_limited', retryAfterMs: parseRetryAfter(retryAfter) };
  if (BLOCKED.has(c)) return { kind: 'blocked', detail };
  if (UNAUTHORIZED.has(c)) return { kind: 'unauthorized', detail };
  if (c === 'INTERNAL_SERVER_ERROR' || c === 'ERROR_UNEXPECTED_ANSWER') return { kind: 'unavailable', sent: write, status: status >= 500 ? status : 500, detail };
  // A method's own refusal, even when it came with a 200.
  if (status < 300) return { kind: 'rejected', status: 400, detail };
  return statusOnly(status, detail, write);
}

function statusOnly(status: number, detail: string, write: boolean): CrmFailure {
  if (status === 429 || status === 503) return { kind: 'rate_limited', retryAfterMs: null };
  if (status === 401) return { kind: 'unauthorized', detail };
  if (status === 403) return { kind: 'blocked', detail };
  if (status >= 500 || status < 300) return { kind: 'unavailable', sent: write, status, detail: `HTTP ${status}: ${detail}` };
  return { kind: 'rejected', status, detail };
}



