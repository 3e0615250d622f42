/**
 * Every request to a generic CRM goes through here: the account's rate limiter, the configured
 * credentials (renewed once after a 401), a timeout, and the translation of answers into the
 * port's CrmError kinds, on which the delivery engine's exactly-once logic rests:
 *
 * - 429 → rate_limited (Retry-After honoured; the limiter slows down), retried here a few times;
 * - 401 → unauthorized (after one renewal), 402/403 → blocked: nothing passes until a person acts;
 * - a status in `retry_statuses` (5xx by default), a timeout or a dropped connection →
 *   unavailable, `sent: true` for a write — the CRM may have acted, so the engine looks the call
 *   up before sending it again; a connection that never opened → `sent: false`;
 * - any other 4xx (or 5xx left out of retry_statuses) → rejected: resending will not help.
 *
 * Only what is safe whatever the request is retried here: 429s, connections that never opened,
 * and reads. A write whose answer was lost is never resent by this layer.
 * @module
 */
import { networkFailure, parseJsonBody, parseRetryAfter, snippet } from '../http-failures';
import { decide, MAX_CONSECUTIVE_429S, rateLimitWaitMs } from '../../delivery/retry-policy';
import type { RateLimiter } from '../limiter';
import { CrmError, type CrmFailure } from '../port';
import type { AuthProvider } from './auth';

export interface GenericHttpOptions {
  limiter: RateLimiter;
  auth: AuthProvider;
  fetch: typeof fetch;
  /** Sent with every request (the config's `headers`). */
  headers: Record<string, string>;
  retryStatuses: readonly number[];
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | FormData;
  /** Statuses besides 2xx the caller interprets itself (409 on a second recording upload). */
  accept?: number[];
}

export interface HttpAnswer {
  status: number;
  /** Parsed JSON; null for an empty body. */
  data: unknown;
}

/** Network error codes that mean the request never left this machine. */
const READ_TRIES = 3;

export class GenericHttp {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: GenericHttpOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async request(req: HttpRequest): Promise<HttpAnswer> {
    const write = req.method !== 'GET';
    let consecutive429s = 0;
    for (let tries = 1; ; tries++) {
      try {
        return await this.once(req, write);
      } catch (error) {
        if (!(error instanceof CrmError)) throw error;
        const failure = error.failure;
        if (failure.kind === 'rate_limited') {
          consecutive429s++;
          // The limiter pauses every request of the account, this one's next try included.
          this.options.limiter.penalize(rateLimitWaitMs(consecutive429s, failure.retryAfterMs));
          if (consecutive429s < MAX_CONSECUTIVE_429S) continue;
          throw error;
        }
        const decision = decide(failure, { attempts: 1, consecutive429s, triesThisRun: tries, random: Math.random() });
        if (decision.action === 'retry_now') {
          await this.sleep(decision.waitMs);
          continue;
        }
        if (!write && failure.kind === 'unavailable' && tries < READ_TRIES) {
          await this.sleep(500 * tries);
          continue;
        }
        throw error;
      }
    }
  }

  private async once(req: HttpRequest, write: boolean): Promise<HttpAnswer> {
    let renewed = false;
    for (;;) {
      await this.options.limiter.acquire();
      const auth = await this.options.auth.headers();
      const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers, ...req.headers, ...auth };
      if (typeof req.body === 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['content-type'] = 'application/json';
      }
      let response: Response;
      let text: string;
      try {
        response = await this.options.fetch(req.url, {
          method: req.method,
          headers,
          ...(req.body !== undefined ? { body: req.body } : {}),
          redirect: 'manual',
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        throw networkFailure(error, write);
      }
      if (response.status === 401 && !renewed) {
        renewed = true;
        if (await this.options.auth.renew()) continue;
      }
      if ((response.status >= 200 && response.status < 300) || req.accept?.includes(response.status)) {
        return { status: response.status, data: parseJsonBody(text, response.status, write && response.status < 300) };
      }
      throw new CrmError(statusFailure(response.status, text, response.headers.get('retry-after'), this.options.retryStatuses));
    }
  }
}


export function statusFailure(status: number, text: string, retryAfter: string | null, retryStatuses: readonly number[]): CrmFailure {
  const detail = `HTTP ${status}${text ? `: ${snippet(text, 300)}` : ''}`;
  if (status === 429) return { kind: 'rate_limited', retryAfterMs: parseRetryAfter(retryAfter) };
  if (status === 401) return { kind: 'unauthorized', detail };
  if (status === 402 || status === 403) return { kind: 'blocked', detail };
  // The request reached the CRM, which may have acted on it before failing.
  if (retryStatuses.includes(status)) return { kind: 'unavailable', sent: true, status, detail };
  return { kind: 'rejected', status, detail };
}



