/**
 * The generic webhook's Stripe-style signature:
 * `X-Calltrail-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, the body
 * being the bytes as sent, whatever charset they are in. Several v1 entries are allowed (secret
 * rotation: sign with both while switching). The Asterisk push endpoint signs the same way.
 * @module
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { concatBytes, hexBytes, hmacSha256, utf8Bytes, verifyHmacSha256 } from '../../lib/hmac';

export const SIGNATURE_HEADER = 'X-Calltrail-Signature';
export const TOLERANCE_SECONDS = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** What is signed: "<t>." and then the body's bytes as sent (a string body is taken as its UTF-8). */
function signedBytes(timestamp: number, rawBody: string | Uint8Array): Uint8Array {
  return concatBytes(utf8Bytes(`${timestamp}.`), typeof rawBody === 'string' ? utf8Bytes(rawBody) : rawBody);
}

export async function verifySignature(header: string | undefined, rawBody: string | Uint8Array, secret: string, nowSeconds: number): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1') signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) {
    return { ok: false, reason: `malformed ${SIGNATURE_HEADER} header: expected t=<unix seconds>,v1=<hex>` };
  }
  if (Math.abs(nowSeconds - timestamp) > TOLERANCE_SECONDS) {
    return { ok: false, reason: `stale signature: t is more than ${TOLERANCE_SECONDS} s from the server clock` };
  }
  const message = signedBytes(timestamp, rawBody);
  for (const signature of signatures) {
    const bytes = hexBytes(signature);
    if (bytes && (await verifyHmacSha256(secret, message, bytes))) return { ok: true };
  }
  return { ok: false, reason: 'signature does not match the body' };
}

/** What a sender computes; used by tests, the benchmark and documentation examples. */
export async function signatureHeader(secret: string, rawBody: string | Uint8Array, nowSeconds: number): Promise<string> {
  const t = Math.floor(nowSeconds);
  return `t=${t},v1=${bytesToHex(await hmacSha256(secret, signedBytes(t, rawBody)))}`;
}
