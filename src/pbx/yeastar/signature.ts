/**
 * Yeastar's webhook signature: `X-Signature` = base64(HMAC-SHA256(YEASTAR_WEBHOOK_SECRET, raw
 * body)), over the body's bytes as sent. A hex digest and a "sha256=" prefix are accepted too, so a signing proxy in front of a
 * PBX that cannot sign may use the more common spelling.
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { timingSafeEqual } from 'hono/utils/buffer';
import { equalBytes } from '../../lib/hmac';
import type { Verdict } from '../core/webhook';

export const SIGNATURE_HEADER = 'X-Signature';

/** The HMAC of the body's bytes as sent (a string body is taken as its UTF-8). */
export function yeastarSignatureBytes(secret: string, rawBody: string | Uint8Array): Uint8Array {
  return hmac(sha256, utf8ToBytes(secret), typeof rawBody === 'string' ? utf8ToBytes(rawBody) : rawBody);
}

export function yeastarSignature(secret: string, rawBody: string | Uint8Array): string {
  let binary = '';
  for (const byte of yeastarSignatureBytes(secret, rawBody)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The 32 bytes a header carries, whichever spelling it uses; null if it is none of them. */
export function decodeSignature(header: string): Uint8Array | null {
  const value = header.trim().replace(/^sha256=/i, '');
  if (/^[0-9a-f]{64}$/i.test(value)) return Uint8Array.from(value.match(/../g) ?? [], (h) => parseInt(h, 16));
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const binary = atob(value.replace(/-/g, '+').replace(/_/g, '/').replace(/=?$/, '='));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  }
  return null;
}

export async function verifyYeastarSignature(header: string | undefined, rawBody: string | Uint8Array, secret: string): Promise<Verdict> {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  const given = decodeSignature(header);
  if (!given) return { ok: false, reason: `malformed ${SIGNATURE_HEADER} header: expected base64 of an HMAC-SHA256` };
  return equalBytes(given, yeastarSignatureBytes(secret, rawBody)) ? { ok: true } : { ok: false, reason: `${SIGNATURE_HEADER} does not match the body` };
}

/** The opt-in fallback for PBXs that cannot sign: ?token=<secret> in the URL. */
export async function verifyUrlToken(token: string | null, secret: string): Promise<Verdict> {
  if (!token) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  return (await timingSafeEqual(token, secret)) ? { ok: true } : { ok: false, reason: 'the token in the URL is not YEASTAR_WEBHOOK_SECRET' };
}
