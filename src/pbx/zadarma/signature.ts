/**
 * Zadarma's signatures. A notification carries `Signature: base64(hex(HMAC-SHA1(secret, s)))` where
 * s concatenates a few of its fields (which ones depends on the event); API requests are signed
 * the same way over the method path and the query (api.ts). The hex step is PHP's hash_hmac
 * default, kept by Zadarma's PHP and Python clients; their TypeScript client base64-encodes the
 * raw digest instead, so both encodings are accepted — each needs the secret.
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { timingSafeEqual } from 'hono/utils/buffer';
import { InvalidPayloadError } from '../source';
import type { Verdict } from '../webhook';
import type { FormFields } from './form';
import { EVENTS, type ZadarmaEventName } from './schema';

export const SIGNATURE_HEADER = 'Signature';

/** The fields each notification signs, concatenated in this order. */
export const SIGNED_FIELDS: Readonly<Record<ZadarmaEventName, readonly string[]>> = {
  NOTIFY_START: ['caller_id', 'called_did', 'call_start'],
  NOTIFY_INTERNAL: ['caller_id', 'called_did', 'call_start'],
  NOTIFY_END: ['caller_id', 'called_did', 'call_start'],
  NOTIFY_IVR: ['caller_id', 'called_did', 'call_start'],
  NOTIFY_ANSWER: ['caller_id', 'destination', 'call_start'],
  NOTIFY_OUT_START: ['internal', 'destination', 'call_start'],
  NOTIFY_OUT_END: ['internal', 'destination', 'call_start'],
  NOTIFY_RECORD: ['pbx_call_id', 'call_id_with_rec'],
};

const isEvent = (value: string | undefined): value is ZadarmaEventName => EVENTS.includes(value as ZadarmaEventName);

/**
 * The signed string of a notification. A missing field contributes nothing, as in PHP's
 * concatenation; an event calltrail does not know cannot be checked, so it is refused (400).
 */
export function signedString(fields: FormFields): string {
  const event = fields.get('event');
  if (!isEvent(event)) {
    throw new InvalidPayloadError([
      event === undefined ? 'event: is required' : `event: expected one of ${EVENTS.join(', ')}, got "${event.slice(0, 40)}"`,
    ]);
  }
  return SIGNED_FIELDS[event].map((name) => fields.get(name) ?? '').join('');
}

const hmacSha1 = (secret: string, text: string) => hmac(sha1, utf8ToBytes(secret), utf8ToBytes(text));

/** What Zadarma sends: base64 of the lowercase hex HMAC-SHA1. */
export function zadarmaSignature(secret: string, text: string): string {
  return btoa(bytesToHex(hmacSha1(secret, text)));
}

/** The encoding of Zadarma's TypeScript client: base64 of the digest bytes. */
function rawDigestSignature(secret: string, text: string): string {
  return btoa(String.fromCharCode(...hmacSha1(secret, text)));
}

export async function verifyNotification(header: string | null, fields: FormFields, secret: string): Promise<Verdict> {
  if (!header?.trim()) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  const text = signedString(fields);
  const given = header.trim();
  const [hex, raw] = await Promise.all([
    timingSafeEqual(given, zadarmaSignature(secret, text)),
    timingSafeEqual(given, rawDigestSignature(secret, text)),
  ]);
  if (hex || raw) return { ok: true };
  return { ok: false, reason: `${SIGNATURE_HEADER} does not match the notification (check ZADARMA_API_SECRET)` };
}
