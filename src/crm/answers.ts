/**
 * What a CRM's answer means, decided once for every vendor: the transport hands each answer here
 * with the vendor's table, and gets back either the data or one of the port's failure kinds
 * (rate_limited, blocked, unauthorized, too_large, unavailable {sent}, rejected). A vendor supplies
 * data — which statuses and which error codes in a body mean what, which header says how long to
 * wait, how its error bodies are quoted — never a loop of its own.
 *
 * The rules every vendor shares:
 * - an error code in the body decides before the status (Bitrix24 answers some errors with a 200);
 *   a code the table does not name, on a 2xx answer, is the method refusing the request;
 * - a status the table does not name is `rejected`: resending the same request will not help;
 * - `too_large` is about what a write carried, so a read is never too large;
 * - `unavailable` is `sent` for a write only: a read cannot leave an unknown outcome behind, and a
 *   write that reached the CRM may have been applied, so it is looked up before it is sent again;
 * - a network error on a write is `sent` unless the connection was never made.
 * Error bodies are quoted without markup, phone numbers masked, cut short.
 * @module
 */
import { maskText } from '../lib/log';
import { CrmError, type CrmFailure } from './port';
import { errorCodes } from '../lib/error-codes';

export type FailureKind = CrmFailure['kind'];

/** HTTP statuses: listed one by one, or a whole class. */
export type Statuses = readonly (number | '5xx')[];

/** The failures a table names by status or by code; anything else is `rejected`. */
type NamedKind = Exclude<FailureKind, 'rejected'>;

/** What a vendor's answers mean: data the transport reads, in the order of NAMED_KINDS. */
export interface VendorTable {
  /** Headers every request carries (a generic CRM: the config's `headers`). */
  headers: Readonly<Record<string, string>>;
  /** Statuses that mean each failure. */
  statuses: Readonly<Partial<Record<NamedKind, Statuses>>>;
  /** Where an answer's body carries an error code, and the codes (upper case) that mean each failure. */
  codes?: { field: string } & Readonly<Partial<Record<NamedKind, readonly string[]>>>;
  /** The header that says how long to wait after a rate limit (seconds, or an HTTP date). */
  waitHeader: string;
  /** The words of an error answer worth quoting ('' when it has none); masked and short. */
  quote: (text: string, body: unknown) => string;
  /** Failures whose detail starts with "HTTP <status>: ". */
  statusInDetail: readonly FailureKind[];
}

/** The order in which a table's entries are tried: the most consequential first. */
const NAMED_KINDS: readonly NamedKind[] = ['rate_limited', 'blocked', 'unauthorized', 'too_large', 'unavailable'];

/** One HTTP answer as the transport received it. */
export interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

export type Reading = { ok: true; data: unknown } | { ok: false; failure: CrmFailure };

/**
 * The answer to one request: its data when it succeeded (2xx, or a status the caller `accept`s,
 * without an error code), else the failure it means.
 */
export function readAnswer(table: VendorTable, answer: Answer, write: boolean, accept: readonly number[] = []): Reading {
  const json = parseJson(answer.text);
  const code = json.ok ? errorCode(table, json.value) : null;
  const success = (answer.status >= 200 && answer.status < 300) || accept.includes(answer.status);
  if (success && code === null) {
    if (json.ok) return { ok: true, data: json.value };
    // A 2xx we cannot read: a write may have been stored. An accepted refusal wrote nothing.
    const sent = write && answer.status < 300;
    return { ok: false, failure: { kind: 'unavailable', sent, status: answer.status, detail: `unreadable answer: ${snippet(answer.text)}` } };
  }
  return { ok: false, failure: classify(table, answer, json.ok ? json.value : undefined, code, write) };
}

/** The failure an error answer means, by the vendor's table. */
function classify(table: VendorTable, answer: Answer, body: unknown, code: string | null, write: boolean): CrmFailure {
  const { status } = answer;
  const kind = (code === null ? null : kindOfCode(table, code, status)) ?? kindOfStatus(table, status, write);
  const quote = table.quote(answer.text, body);
  const detail = quote === '' ? `HTTP ${status}` : table.statusInDetail.includes(kind) ? `HTTP ${status}: ${quote}` : quote;
  switch (kind) {
    case 'rate_limited':
      return { kind, retryAfterMs: parseRetryAfter(answer.headers.get(table.waitHeader)) };
    case 'unavailable':
      return { kind, sent: write, status, detail };
    // A refusal that came with a 2xx is reported as the 400 it means.
    case 'rejected':
      return { kind, status: status < 300 ? 400 : status, detail };
    default:
      return { kind, detail };
  }
}

function kindOfCode(table: VendorTable, code: string, status: number): FailureKind | null {
  const codes = table.codes;
  const upper = code.toUpperCase();
  const named = NAMED_KINDS.find((kind) => codes?.[kind]?.includes(upper));
  if (named) return named;
  return status < 300 ? 'rejected' : null;
}

function kindOfStatus(table: VendorTable, status: number, write: boolean): FailureKind {
  const listed = (kind: NamedKind) => (table.statuses[kind] ?? []).some((s) => s === status || (s === '5xx' && status >= 500 && status < 600));
  return NAMED_KINDS.find((kind) => (kind !== 'too_large' || write) && listed(kind)) ?? 'rejected';
}

/** The body's error code (the empty string counts: the body says it is an error), or null. */
function errorCode(table: VendorTable, body: unknown): string | null {
  if (!table.codes || body === null || typeof body !== 'object') return null;
  const value = (body as Record<string, unknown>)[table.codes.field];
  return typeof value === 'string' ? value : null;
}

/** The body as JSON; an empty body is null. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Connection errors raised before a byte of the request left: a write cannot have arrived. */
const UNSENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_INVALID_URL']);

/** Retry-After as seconds or an HTTP date, in ms; null when absent or unreadable. */
export function parseRetryAfter(value: unknown): number | null {
  if (typeof value !== 'string' || value === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/**
 * A request that got no answer: `unavailable`, sent unless the connection was never made — after
 * a timeout or a dropped connection a write may have been applied.
 */
export function networkFailure(error: unknown, write: boolean): CrmError {
  const e = error as { name?: string; code?: string; message?: string };
  // axios wraps fetch's TypeError, which wraps the socket's error: the code worth reading is inside.
  const codes = errorCodes(error);
  const code = codes.find((c) => UNSENT.has(c)) ?? codes.find((c) => /^E[A-Z]/.test(c) && c !== 'ERR_NETWORK') ?? e.code ?? '';
  const timeout =
    e.name === 'TimeoutError' || e.name === 'AbortError' || codes.includes('ECONNABORTED') || codes.includes('ETIMEDOUT') || /timeout/i.test(e.message ?? '');
  return new CrmError({
    kind: 'unavailable',
    sent: write && !UNSENT.has(code),
    status: null,
    detail: timeout ? 'no answer in time' : `network error ${code}: ${e.message ?? String(error)}`.replace(/\s+/g, ' ').trim(),
  });
}

/** The start of an answer's body, fit for an error message and the logs. */
export function snippet(text: string, max = 200): string {
  return maskText(
    text
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  ).slice(0, max);
}
