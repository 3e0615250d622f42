/**
 * Every request to one amoCRM account goes through here: the rate limiter, the bearer token
 * (renewed once after a 401), and the translation of amoCRM's answers into CrmError failures.
 *
 * Retries (p-retry) happen only where they are safe whatever the request: a 429 (amoCRM did
 * nothing), a connection that never reached it, and any failure of a read. A write whose
 * answer was lost is never retried here — the delivery engine looks it up first.
 * @module
 */
import { networkFailure, parseJsonBody, parseRetryAfter, snippet } from '../http-failures';
import axios, { type AxiosInstance } from 'axios';
import pRetry, { AbortError } from 'p-retry';
import { decide, MAX_CONSECUTIVE_429S, rateLimitWaitMs } from '../../delivery/retry-policy';
import { maskText, type Logger } from '../../lib/log';
import type { RateLimiter } from '../limiter';
import { CrmError, type CrmFailure } from '../port';

export interface TokenProvider {
  /** A bearer token to use now. */
  token(): Promise<string>;
  /** `rejected` was answered 401: get a new token if possible; false when there is none. */
  renew(rejected: string): Promise<boolean>;
}

export interface AmoHttpOptions {
  baseUrl: string;
  limiter: RateLimiter;
  tokens: TokenProvider;
  log: Logger;
  /** Replaces the global fetch (the in-process sandbox CRM). */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface AmoRequest {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  query?: URLSearchParams;
  body?: unknown;
  /** Statuses other than 2xx that the caller interprets itself (e.g. 400 on /api/v4/calls). */
  accept?: number[];
}

export interface AmoResponse {
  status: number;
  /** Parsed JSON; null for an empty body (amoCRM answers 204 to an empty list). */
  data: unknown;
}

/** Network errors that mean the request never left this machine. */

export class AmoHttp {
  private readonly axios: AxiosInstance;

  constructor(private readonly options: AmoHttpOptions) {
    this.axios = axios.create({
      baseURL: options.baseUrl,
      adapter: 'fetch',
      ...(options.fetch ? { env: { fetch: options.fetch } } : {}),
      timeout: options.timeoutMs ?? 20_000,
      responseType: 'text',
      // Every status is ours to interpret; axios must not throw on them.
      validateStatus: () => true,
      maxRedirects: 0,
      headers: { accept: 'application/json' },
    });
  }

  get requestsMade(): number {
    return this.options.limiter.requests;
  }

  async request(req: AmoRequest): Promise<AmoResponse> {
    const write = req.method !== 'GET';
    let consecutive429s = 0;
    let tries = 0;
    return pRetry(
      async () => {
        tries++;
        try {
          const response = await this.once(req, write);
          consecutive429s = 0;
          return response;
        } catch (error) {
          if (!(error instanceof CrmError)) throw new AbortError(error as Error);
          if (error.failure.kind === 'rate_limited') {
            consecutive429s++;
            // Every 429 slows the account down, the last one before giving up included.
            this.options.limiter.penalize(rateLimitWaitMs(consecutive429s, error.failure.retryAfterMs));
          }
          const decision = decide(error.failure, { attempts: 1, consecutive429s, triesThisRun: tries, random: Math.random() });
          // Reads may be retried after any failure that is not about us or the account.
          const readRetry = !write && error.failure.kind === 'unavailable' && tries < 3;
          if (decision.action === 'retry_now') {
            if (error.failure.kind !== 'rate_limited') await sleep(decision.waitMs);
            throw error;
          }
          if (readRetry) {
            await sleep(500 * tries);
            throw error;
          }
          throw new AbortError(error);
        }
      },
      { retries: MAX_CONSECUTIVE_429S + 3, minTimeout: 0, maxTimeout: 0, randomize: false },
    );
  }

  private async once(req: AmoRequest, write: boolean): Promise<AmoResponse> {
    let renewed = false;
    for (;;) {
      await this.options.limiter.acquire();
      const token = await this.options.tokens.token();
      const url = req.query && [...req.query.keys()].length ? `${req.path}?${req.query.toString()}` : req.path;
      let response;
      try {
        response = await this.axios.request<string>({
          method: req.method,
          url,
          headers: { authorization: `Bearer ${token}`, ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(req.body !== undefined ? { data: JSON.stringify(req.body) } : {}),
        });
      } catch (error) {
        throw networkFailure(error, write);
      }
      const { status } = response;
      const text = typeof response.data === 'string' ? response.data : '';
      if (status === 401 && !renewed) {
        renewed = true;
        if (await this.options.tokens.renew(token)) continue;
      }
      if ((status >= 200 && status < 300) || req.accept?.includes(status)) {
        // An accepted refusal (4xx) wrote nothing, whatever its body looks like.
        return { status, data: parseJsonBody(text, status, write && status < 300) };
      }
      throw new CrmError(statusFailure(status, text, response.headers['retry-after'], write));
    }
  }
}


function statusFailure(status: number, text: string, retryAfter: unknown, write: boolean): CrmFailure {
  const detail = describeBody(text) || `HTTP ${status}`;
  if (status === 401) return { kind: 'unauthorized', detail };
  // 402: the account is unpaid; like a block, nothing will pass until a person acts.
  if (status === 403 || status === 402) return { kind: 'blocked', detail: `HTTP ${status}: ${detail}` };
  if (status === 429) return { kind: 'rate_limited', retryAfterMs: parseRetryAfter(retryAfter) };
  if (status === 504 && write) return { kind: 'too_large', detail };
  if (status >= 500) return { kind: 'unavailable', sent: true, status, detail: `HTTP ${status}: ${detail}` };
  return { kind: 'rejected', status, detail };
}


/** amoCRM's problem+json (title, detail, validation-errors), or the start of anything else. */
export function describeBody(text: string): string {
  if (!text) return '';
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const parts = [body.title, body.detail, body.hint].filter((v) => typeof v === 'string' && v) as string[];
    const validation = body['validation-errors'];
    if (Array.isArray(validation)) {
      for (const item of validation.slice(0, 3)) {
        for (const err of ((item as { errors?: unknown[] }).errors ?? []).slice(0, 3)) {
          const { path, detail } = err as { path?: string; detail?: string };
          parts.push(`${path ?? '?'}: ${detail ?? 'invalid'}`);
        }
      }
    }
    return maskText(parts.join('; ')).slice(0, 500);
  } catch {
    return snippet(text);
  }
}



const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
