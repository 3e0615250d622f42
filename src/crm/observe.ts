/**
 * What the transport tells the outside about each try of a CRM request: a counter of outcomes
 * and of HTTP statuses per CRM account (read by GET /metrics), and a client span (lib/trace.ts)
 * with the method, the path as a template and the status.
 *
 * The counters hang off the account's rate budget object (the limiter every request to that
 * account goes through, kept per process or isolate): the transport has the budget at hand and
 * nothing else naming the account, and the scrape finds the budget by account id in the app's
 * limiters. In memory, like the budget: they start at zero with the process, as Prometheus expects.
 * @module
 */
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { tracer } from '../lib/trace';
import type { Reading } from './answers';
import { CrmError } from './port';

/** A try's outcome: the port's failure kinds, `ok`, `network` (no answer), `error` (a fault of ours). */
export const CRM_OUTCOMES = ['ok', 'rate_limited', 'blocked', 'unauthorized', 'too_large', 'unavailable', 'rejected', 'network', 'error'] as const;
export type CrmOutcome = (typeof CRM_OUTCOMES)[number];

export interface CrmCounters {
  /** Tries by outcome. */
  readonly outcomes: Map<CrmOutcome, number>;
  /** Answers by HTTP status (429s and 403s among them). */
  readonly statuses: Map<number, number>;
}

const byBudget = new WeakMap<object, CrmCounters>();

/** The counters of the account whose budget this is. */
export function crmCounters(budget: object): CrmCounters {
  let counters = byBudget.get(budget);
  if (!counters) byBudget.set(budget, (counters = { outcomes: new Map(), statuses: new Map() }));
  return counters;
}

const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

/**
 * A path fit for a span: a segment stays when it is an API version (`v4`) or words of letters,
 * `_` and `-` of at most 15 characters each, dot-separated (`crm.activity.add`); anything else —
 * ids, phone numbers, e-mails, a Bitrix24 webhook's user id and 16-character secret — becomes
 * `{x}`. No query string.
 */
export function pathTemplate(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return '{x}';
  }
  return path
    .split('/')
    .map((segment) => (segment === '' || /^v\d{1,2}$/i.test(segment) || /^[A-Za-z_-]{1,15}(\.[A-Za-z_-]{1,15})*$/.test(segment) ? segment : '{x}'))
    .join('/');
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

export interface CrmTry {
  /** The CRM answered: counted and the span ended. */
  answered(status: number, reading: Reading): void;
  /** No answer (the transport's send threw): counted, the span ended, the error thrown on. */
  failed(error: unknown): never;
}

/** Opens the span of one try (a child of the active span: a delivery, a lookup) and counts its end. */
export function startCrmTry(budget: object, method: string, url: string): CrmTry {
  const counters = crmCounters(budget);
  const template = pathTemplate(url);
  const span: Span = tracer().startSpan(`${method} ${template}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'http.request.method': method, 'url.template': template, 'server.address': hostOf(url) },
  });
  const end = (outcome: CrmOutcome) => {
    bump(counters.outcomes, outcome);
    span.setAttribute('calltrail.crm.outcome', outcome);
    // The outcome, never the error's message: a CRM's answer quoted in it may hold a number.
    if (outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    span.end();
  };
  return {
    answered(status, reading) {
      bump(counters.statuses, status);
      span.setAttribute('http.response.status_code', status);
      end(reading.ok ? 'ok' : reading.failure.kind);
    },
    failed(error) {
      const network = error instanceof CrmError && error.failure.kind === 'unavailable' && error.failure.status === null;
      end(network ? 'network' : 'error');
      throw error;
    },
  };
}
