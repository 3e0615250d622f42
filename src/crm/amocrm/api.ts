/**
 * amoCRM's API v4 as the adapter calls it: a path and query under the account's URL, a JSON body,
 * the bearer token. Everything else — the pace, the token's renewal, the timeout, retries and
 * what each answer means — is the CRM transport's, by amoCRM's table (table.ts).
 * @module
 */
import type { Budget } from '../limiter';
import type { LiveRequest } from '../port';
import { bearer, CrmTransport, type CrmAnswer, type TokenProvider } from '../transport';
import { AMOCRM_TABLE } from './table';

export interface AmoApiOptions {
  baseUrl: string;
  limiter: Budget;
  tokens: TokenProvider;
  /** Replaces the global fetch (the in-process sandbox CRM). */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface AmoRequest {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  query?: URLSearchParams;
  body?: unknown;
  /** The body built when the request's slot comes (gathered requests); instead of `body`. */
  bodyAt?: () => unknown;
  /** Statuses other than 2xx that the caller interprets itself (e.g. 400 on /api/v4/calls). */
  accept?: number[];
  /** A request for a ringing call: first in the budget, and not sent at all after its deadline. */
  live?: LiveRequest;
}

export class AmoApi {
  private readonly transport: CrmTransport;

  constructor(private readonly options: AmoApiOptions) {
    this.transport = new CrmTransport({
      vendor: AMOCRM_TABLE,
      limiter: options.limiter,
      credentials: bearer(options.tokens),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  /** The account's URL, without a trailing slash (cards are opened under it). */
  get baseUrl(): string {
    return this.options.baseUrl.replace(/\/+$/, '');
  }

  get requestsMade(): number {
    return this.transport.requestsMade;
  }

  /** The answer's status and JSON (null for an empty body: amoCRM answers 204 to an empty list). */
  request(req: AmoRequest): Promise<CrmAnswer> {
    const query = req.query && [...req.query.keys()].length ? `?${req.query.toString()}` : '';
    return this.transport.request({
      method: req.method,
      url: `${this.baseUrl}${req.path}${query}`,
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      ...(req.bodyAt ? { body: () => JSON.stringify((req.bodyAt as () => unknown)()) } : {}),
      ...(req.accept ? { accept: req.accept } : {}),
      ...(req.live ? { priority: 'live' as const, deadline: req.live.deadline } : {}),
    });
  }
}
