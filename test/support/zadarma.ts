/**
 * Zadarma's notifications as a test sends them: the account's key pair and the documented
 * signature (base64 of the hex HMAC-SHA1 over the event's signed fields), spelled out
 * independently of the code under test.
 */
import { createHmac } from 'node:crypto';
import type { Notification } from '../../src/pbx/zadarma/fixtures/form';

export const KEY = 'a248a6a984459935b569';
export const SECRET = '8a8e91d214fb728889c7';
export const API = 'https://api.zadarma.com/v1/pbx/record/request/';

/** Zadarma's documented signed fields of each notification. */
const SIGNED: Record<string, string[]> = {
  NOTIFY_START: ['caller_id', 'called_did', 'call_start'],
  NOTIFY_INTERNAL: ['caller_id', 'called_did', 'call_start'],
  NOTIFY_END: ['caller_id', 'called_did', 'call_start'],
  NOTIFY_ANSWER: ['caller_id', 'destination', 'call_start'],
  NOTIFY_OUT_START: ['internal', 'destination', 'call_start'],
  NOTIFY_OUT_END: ['internal', 'destination', 'call_start'],
  NOTIFY_RECORD: ['pbx_call_id', 'call_id_with_rec'],
};

export function zadarmaSignature(n: Notification, secret = SECRET): string {
  const signed = (SIGNED[n.event ?? ''] ?? []).map((f) => n[f] ?? '').join('');
  return Buffer.from(createHmac('sha1', secret).update(signed).digest('hex')).toString('base64');
}
