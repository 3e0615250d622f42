/**
 * What every CRM adapter's HTTP layer decides the same way: how long a 429 asks us to wait, what
 * a network error means for a write (could the CRM have acted on it?), and how an answer's body
 * is quoted in an error (tags stripped, phone numbers masked, cut short).
 * @module
 */
import { maskText } from '../lib/log';
import { CrmError } from './port';

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
 * A request that got no answer (fetch or axios): `unavailable`, sent unless the connection was
 * never made — after a timeout or a dropped connection a write may have been applied.
 */
export function networkFailure(error: unknown, write: boolean): CrmError {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const code = e.cause?.code ?? e.code ?? '';
  const timeout =
    e.name === 'TimeoutError' || e.name === 'AbortError' || code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(e.message ?? '');
  return new CrmError({
    kind: 'unavailable',
    sent: write && !UNSENT.has(code),
    status: null,
    detail: timeout ? 'no answer in time' : `network error ${code}: ${e.message ?? String(error)}`.replace(/\s+/g, ' ').trim(),
  });
}

/** The start of an answer's body, fit for an error message and the logs. */
export function snippet(text: string, max = 200): string {
  return maskText(text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()).slice(0, max);
}

/** A 2xx body as JSON (empty → null); unreadable: for a write we do not know what was stored. */
export function parseJsonBody(text: string, status: number, write: boolean): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new CrmError({ kind: 'unavailable', sent: write, status, detail: `unreadable answer: ${snippet(text)}` });
  }
}
