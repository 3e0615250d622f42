/**
 * What an action did, carried to the page it redirects to as a code (`?notice=…`), never as text:
 * a crafted link can only show one of these fixed sentences.
 * @module
 */
export type NoticeKind = 'ok' | 'warn' | 'error';

export const NOTICES: Record<string, { kind: NoticeKind; text: string }> = {
  retry_queued: { kind: 'ok', text: 'Delivery queued: the call is being sent to the CRM again.' },
  retry_already_delivered: { kind: 'warn', text: 'Not retried: the call is already delivered to the CRM.' },
  retry_skipped: { kind: 'warn', text: 'Not retried: the call is skipped, it is not for the CRM (see the reason below).' },
  retry_not_found: { kind: 'error', text: 'Not retried: the call has no delivery yet (it has not settled).' },
  circuit_reset: { kind: 'ok', text: 'Circuit reset: deliveries resume now.' },
  run_started: { kind: 'ok', text: 'Reconciliation started; it runs in the background — reload to follow it.' },
  run_joined: { kind: 'warn', text: 'A run of that window was already in progress: this is it.' },
  logged_out: { kind: 'ok', text: 'Logged out.' },
};

export function notice(code: string | undefined): { kind: NoticeKind; text: string } | null {
  return code && Object.hasOwn(NOTICES, code) ? (NOTICES[code] ?? null) : null;
}
