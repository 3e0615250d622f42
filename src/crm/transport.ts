/**
 * The one HTTP client to CRMs. Every adapter's request goes through here, and only here:
 *
 * - the account's rate budget (crm/limiter.ts): a slot before every try, a pause after a 429;
 * - the credentials the vendor gives (a long-lived token, OAuth tokens, configured headers, or
 *   none for a Bitrix24 webhook), renewed once after the CRM refuses them;
 * - a timeout on every try;
 * - the reading of every answer into data or one of the port's failure kinds, by the vendor's
 *   table (crm/answers.ts);
 * - the few retries that are safe whatever the request, as the retry policy says
 *   (crm/retry-policy.ts, retryInRun, a pure function of the failure) and p-retry carries out: 429s,
 *   reads, writes whose connection never opened. A write whose answer was lost is never resent
 *   here: the delivery engine looks it up first.
 *
 * Requests go out through fetch (the platform's, or a given one: the in-process sandbox CRM, a
 * test's), the same on Node and on workerd.
 * @module
 */
import pRetry, { AbortError } from 'p-retry';
import { networkFailure, readAnswer, type VendorTable } from './answers';
import type { Budget, Priority, Slot } from './limiter';
import { startCrmTry } from './observe';
import { CrmError } from './port';
import { rateLimitWaitMs, retryInRun } from './retry-policy';

/** How requests to one CRM account are authenticated. */
export interface Credentials {
  /** Headers that authenticate a request now. */
  headers(): Promise<Record<string, string>>;
  /** The request carrying `used` was refused as unauthorized: true when new credentials were obtained. */
  renew(used: Record<string, string>): Promise<boolean>;
}

/** A CRM reached without credentials of ours (a Bitrix24 webhook carries its secret in its URL). */
export const NO_CREDENTIALS: Credentials = { headers: async () => ({}), renew: async () => false };

/** Bearer tokens: a long-lived one, or OAuth tokens that can be refreshed. */
export interface TokenProvider {
  /** A bearer token to use now. */
  token(): Promise<string>;
  /** `rejected` was answered 401: get a new token if possible; false when there is none. */
  renew(rejected: string): Promise<boolean>;
}

export function bearer(tokens: TokenProvider): Credentials {
  return {
    headers: async () => ({ authorization: `Bearer ${await tokens.token()}` }),
    renew: (used) => tokens.renew((used.authorization ?? '').replace(/^Bearer /, '')),
  };
}

export interface CrmRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /**
   * A string body is sent as JSON unless the headers say otherwise. A function is called when the
   * request's slot in the budget comes (each try): requests that gather what arrived while they
   * waited (screen pops of several calls in one amoCRM event request) build their body then.
   */
  body?: string | FormData | (() => string);
  /** Whether the request may change the CRM; default: any method but GET. */
  write?: boolean;
  /** Statuses besides 2xx that the caller interprets itself (e.g. amoCRM's 400 on /api/v4/calls). */
  accept?: readonly number[];
  /** Its place in the account's budget: live calls first, then deliveries (default), then background work. */
  priority?: Priority;
  /**
   * Epoch ms after which the answer is worth nothing (a screen pop, a lookup for a ringing call):
   * the request is not started when the budget has no slot before it (LateForBudget, not retried),
   * its tries are cut off at it, and no retry waits past it.
   */
  deadline?: number;
}

export interface CrmAnswer {
  status: number;
  /** Parsed JSON; null for an empty body. */
  data: unknown;
}

export interface TransportOptions {
  vendor: VendorTable;
  /** The account's rate budget, shared by every request to it. */
  limiter: Budget;
  credentials?: Credentials;
  /** Replaces the global fetch (the in-process sandbox CRM, tests). */
  fetch?: typeof fetch;
  /** How long one try waits for the answer (default 20 s). */
  timeoutMs?: number;
  /** Waits between quick retries (tests pass a virtual one). */
  sleep?: (ms: number) => Promise<void>;
}

/** A bound for p-retry; the retry policy stops long before (4 consecutive 429s, 3 quick tries). */
const MAX_TRIES = 12;

export class CrmTransport {
  private readonly credentials: Credentials;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: TransportOptions) {
    this.credentials = options.credentials ?? NO_CREDENTIALS;
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Requests started on this account so far (every try counts). */
  get requestsMade(): number {
    return this.options.limiter.requests;
  }

  /** The answer's data, or a CrmError saying what happened and whether the CRM may have acted. */
  async request(req: CrmRequest): Promise<CrmAnswer> {
    const write = req.write ?? req.method !== 'GET';
    let consecutive429s = 0;
    let tries = 0;
    return pRetry(
      async () => {
        tries++;
        try {
          return await this.once(req, write);
        } catch (error) {
          if (!(error instanceof CrmError)) throw new AbortError(error as Error);
          const failure = error.failure;
          if (failure.kind === 'rate_limited') {
            consecutive429s++;
            // Every 429 slows the account down (this request's next try included), the last one too.
            this.options.limiter.penalize(rateLimitWaitMs(consecutive429s, failure.retryAfterMs));
          }
          const waitMs = retryInRun(failure, { write, tries, consecutive429s });
          if (waitMs === null || (req.deadline !== undefined && Date.now() + waitMs >= req.deadline)) throw new AbortError(error);
          if (waitMs > 0) await this.sleep(waitMs);
          throw error;
        }
      },
      { retries: MAX_TRIES, minTimeout: 0, maxTimeout: 0, randomize: false },
    );
  }

  /** One try, with one renewal of the credentials when the CRM refuses them. */
  private async once(req: CrmRequest, write: boolean): Promise<CrmAnswer> {
    let renewed = false;
    for (;;) {
      // Credentials first: a token refresh (or waiting for another's) must not sit between the
      // slot the budget counted and the request the CRM counts.
      const auth = await this.credentials.headers();
      const slot = await this.options.limiter.acquire({ priority: req.priority ?? 'delivery', deadline: req.deadline ?? null });
      const observed = startCrmTry(this.options.limiter, req.method, req.url);
      const { status, text, headers } = await this.send(req, auth, write, slot).catch(observed.failed);
      const reading = readAnswer(this.options.vendor, { status, text, headers }, write, req.accept);
      observed.answered(status, reading);
      if (reading.ok) return { status, data: reading.data };
      if (reading.failure.kind === 'unauthorized' && !renewed) {
        renewed = true;
        if (await this.credentials.renew(auth)) continue;
      }
      throw new CrmError(reading.failure);
    }
  }

  /** The try's timeout: the transport's, cut to what is left before the request's deadline. */
  private tryTimeoutMs(req: CrmRequest): number {
    const timeout = this.options.timeoutMs ?? 20_000;
    return req.deadline === undefined ? timeout : Math.max(1, Math.min(timeout, req.deadline - Date.now()));
  }

  /** One HTTP request; the budget's slot is marked sent the moment it leaves (given back if it never does). */
  private async send(req: CrmRequest, auth: Record<string, string>, write: boolean, slot: Slot) {
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.vendor.headers, ...req.headers, ...auth };
    let body: string | FormData | undefined;
    try {
      body = typeof req.body === 'function' ? req.body() : req.body;
    } catch (error) {
      slot.release();
      throw error;
    }
    if (typeof body === 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    slot.sent();
    try {
      const response = await this.fetch(req.url, {
        method: req.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.tryTimeoutMs(req)),
      });
      return { status: response.status, text: await response.text(), headers: response.headers };
    } catch (error) {
      throw networkFailure(error, write);
    }
  }
}
