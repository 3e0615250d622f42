/**
 * What amoCRM's answers mean (api v4, as documented and as seen from real accounts), as data for
 * the CRM transport: 401 is a refused token (renewed once), 402 an unpaid account and 403 amoCRM's
 * block — nothing passes until a person acts —, 429 the rate limit (Retry-After honoured), a 504
 * on a write the batch was too large (amoCRM timed out on it; what it stored is unknown), and any
 * other 5xx a failure to retry later. Its errors are problem+json (title, detail, hint,
 * validation-errors); nginx answers some with an HTML page.
 * @module
 */
import type { VendorTable } from '../answers';
import { snippet } from '../answers';
import { maskText } from '../../lib/log';

export const AMOCRM_TABLE: VendorTable = {
  headers: {},
  statuses: { rate_limited: [429], blocked: [402, 403], unauthorized: [401], too_large: [504], unavailable: ['5xx'] },
  waitHeader: 'retry-after',
  quote: (text) => describeBody(text),
  statusInDetail: ['blocked', 'unavailable'],
};

/** amoCRM's problem+json (title, detail, hint, validation-errors), or the start of anything else. */
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
