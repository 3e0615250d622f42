/**
 * Zadarma's signatures. A notification carries `Signature: base64(hex(HMAC-SHA1(secret, s)))` where
 * s concatenates a few of its fields (which ones depends on the event); API requests are signed
 * the same way over the method path and the query (api.ts). The hex step is PHP's hash_hmac
 * default, kept by Zadarma's PHP and Python clients; their TypeScript client base64-encodes the
 * raw digest instead, so both encodings are accepted — each needs the secret. A notification is
 * checked over its fields' bytes as sent (percent-decoded, no charset applied).
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { timingSafeEqual } from 'hono/utils/buffer';
import { decodeText } from '../../lib/charset';
import { binaryBytes, binaryString, formValue, parseFormBytes } from '../../lib/form-bytes';
import { concatBytes, utf8Bytes } from '../../lib/hmac';
import { InvalidPayloadError } from '../core/parse';
import type { Verdict } from '../core/webhook';
import { decodeForm, type FormFields } from './form';
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
 * The signed bytes of a notification: each signed field's bytes as received, one after the other.
 * A missing field contributes nothing, as in PHP's concatenation; an event calltrail does not
 * know cannot be checked, so it is refused (400).
 */
export function signedBytes(field: (name: string) => Uint8Array | undefined): Uint8Array {
  const event = field('event');
  const name = signedEvent(event === undefined ? undefined : decodeText(event, 'utf-8'));
  return concatBytes(...SIGNED_FIELDS[name].map((f) => field(f) ?? new Uint8Array(0)));
}

function signedEvent(event: string | undefined): ZadarmaEventName {
  if (isEvent(event)) return event;
  const shown = event?.slice(0, 40).replace(/[\u0000-\u001f\uD800-\uDFFF]/g, '?');
  throw new InvalidPayloadError([event === undefined ? 'event: is required' : `event: expected one of ${EVENTS.join(', ')}, got "${shown}"`]);
}

const hmacSha1 = (secret: string, message: string | Uint8Array) =>
  hmac(sha1, utf8ToBytes(secret), typeof message === 'string' ? utf8ToBytes(message) : message);

/** What Zadarma sends: base64 of the lowercase hex HMAC-SHA1. */
export function zadarmaSignature(secret: string, message: string | Uint8Array): string {
  return btoa(bytesToHex(hmacSha1(secret, message)));
}

/** The encoding of Zadarma's TypeScript client: base64 of the digest bytes. */
function rawDigestSignature(secret: string, message: Uint8Array): string {
  return btoa(String.fromCharCode(...hmacSha1(secret, message)));
}

/** A notification's fields as text (taken as UTF-8). */
export function verifyNotification(header: string | null, fields: FormFields, secret: string): Promise<Verdict> {
  return verifySigned(
    header,
    (name) => {
      const value = fields.get(name);
      return value === undefined ? undefined : utf8Bytes(value);
    },
    secret,
  );
}

/**
 * A notification's body as received: a form read over its bytes, or a multipart body (see
 * form.ts) split over a byte-for-byte reading of it.
 */
export function verifyNotificationBody(header: string | null, body: Uint8Array, secret: string): Promise<Verdict> {
  if (body[0] === 0x2d && body[1] === 0x2d) {
    const fields = decodeForm(binaryString(body));
    return verifySigned(
      header,
      (name) => {
        const value = fields.get(name);
        return value === undefined ? undefined : binaryBytes(value);
      },
      secret,
    );
  }
  const pairs = parseFormBytes(body);
  return verifySigned(header, (name) => formValue(pairs, name), secret);
}

async function verifySigned(header: string | null, field: (name: string) => Uint8Array | undefined, secret: string): Promise<Verdict> {
  if (!header?.trim()) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  const text = signedBytes(field);
  const given = header.trim();
  const [hex, raw] = await Promise.all([timingSafeEqual(given, zadarmaSignature(secret, text)), timingSafeEqual(given, rawDigestSignature(secret, text))]);
  if (hex || raw) return { ok: true };
  return { ok: false, reason: `${SIGNATURE_HEADER} does not match the notification (check ZADARMA_API_SECRET)` };
}
