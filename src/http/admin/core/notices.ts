/**
 * What an action did, carried to the page it redirects to as a code (`?notice=…`), never as text:
 * a crafted link can only show one of these fixed sentences. A refusal names the error code the
 * JSON API answers the same refusal with (`domain/errors.ts`), so the console, the API and the log
 * say the same thing.
 * @module
 */
import type { ErrorCode } from '../../../domain/errors';
import type { RetryOutcome } from '../../../delivery/admin';

export type NoticeKind = 'ok' | 'warn' | 'error';

interface Notice {
  kind: NoticeKind;
  text: string;
  code?: ErrorCode;
}

type RetryRefusal = Extract<RetryOutcome, { ok: false }>['code'];

const RETRY_REFUSALS: Record<RetryRefusal, Omit<Notice, 'code'>> = {
  already_delivered: { kind: 'warn', text: 'Not retried: the call is already delivered to the CRM.' },
  skipped: { kind: 'warn', text: 'Not retried: the call is skipped, it is not for the CRM (see the reason below).' },
  not_found: { kind: 'error', text: 'Not retried: the call has no delivery yet (it has not settled).' },
};

export const NOTICES: Record<string, Notice> = {
  retry_queued: { kind: 'ok', text: 'Delivery queued: the call is being sent to the CRM again.' },
  ...Object.fromEntries(Object.entries(RETRY_REFUSALS).map(([code, n]) => [retryNotice(code as RetryRefusal), { ...n, code: code as RetryRefusal }])),
  circuit_reset: { kind: 'ok', text: 'Circuit reset: deliveries resume now.' },
  run_started: { kind: 'ok', text: 'Reconciliation started; it runs in the background — reload to follow it.' },
  run_joined: { kind: 'warn', text: 'A run of that window was already in progress: this is it.' },
  logged_out: { kind: 'ok', text: 'Logged out.' },
  amocrm_sign_in_failed: {
    kind: 'error',
    text: 'That sign-in link from amoCRM has expired, was used already, or its user may no longer sign in: click "Open in calltrail" in amoCRM again, or sign in here.',
    code: 'unauthorized',
  },
  hold_placed: { kind: 'ok', text: 'Legal hold placed: nothing deletes this call or its recording until the hold is released.' },
  hold_released: { kind: 'ok', text: 'Legal hold released: retention applies to this call again.' },
  hold_reason: { kind: 'error', text: 'Not placed on hold: give the reason for the hold.', code: 'invalid_request' },
  links_revoked: { kind: 'ok', text: 'Recording links revoked: the old links answer 404; the CRM note is being updated with a new one.' },
  policy_added: { kind: 'ok', text: 'Rule added: it applies to calls that start from now on.' },
  policy_removed: { kind: 'ok', text: 'Rule removed: calls from now on are no longer judged by it.' },
  dead_letters_dismissed: { kind: 'ok', text: 'Dead letters cleared.' },
};

/** The notice a refused retry redirects with. */
export function retryNotice(code: RetryRefusal): string {
  return `retry_${code}`;
}

export function notice(code: string | undefined): Notice | null {
  return code && Object.hasOwn(NOTICES, code) ? (NOTICES[code] ?? null) : null;
}
