/**
 * Mango Office signs every request with `sign = sha256hex(vpbx_api_key + json + vpbx_api_salt)`
 * over the `json` form field exactly as sent — its percent-decoded bytes, before any charset is
 * applied — and names the account in `vpbx_api_key` (MANGO_API_KEY / MANGO_API_SALT). Both are
 * compared in constant time.
 * @module
 */
import { timingSafeEqual } from 'hono/utils/buffer';
import { decodeText } from '../../lib/charset';
import { sha256BytesHex } from '../../lib/crypto';
import { formValue, parseFormBytes } from '../../lib/form-bytes';
import { concatBytes, utf8Bytes } from '../../lib/hmac';
import type { Verdict } from '../core/webhook';

export interface MangoCredentials {
  key: string;
  salt: string;
}

/** The sign of a json value given as bytes (as received) or text (as we send it, in UTF-8). */
export function mangoSign(credentials: MangoCredentials, json: string | Uint8Array): string {
  const bytes = typeof json === 'string' ? utf8Bytes(json) : json;
  return sha256BytesHex(concatBytes(utf8Bytes(credentials.key), bytes, utf8Bytes(credentials.salt)));
}

interface SignedFields {
  key: string | undefined;
  sign: string | undefined;
  json: Uint8Array;
}

/** A request's form fields as URLSearchParams read them (text, UTF-8). */
export function verifyMangoRequest(fields: URLSearchParams, credentials: MangoCredentials): Promise<Verdict> {
  const key = fields.get('vpbx_api_key') ?? undefined;
  const sign = fields.get('sign') ?? undefined;
  return verifyFields({ key, sign, json: utf8Bytes(fields.get('json') ?? '') }, credentials);
}

/** A request's body as received: the form read over its bytes. */
export function verifyMangoBody(body: Uint8Array, credentials: MangoCredentials): Promise<Verdict> {
  const pairs = parseFormBytes(body);
  const text = (name: string) => {
    const value = formValue(pairs, name);
    return value === undefined ? undefined : decodeText(value, 'utf-8');
  };
  return verifyFields({ key: text('vpbx_api_key'), sign: text('sign'), json: formValue(pairs, 'json') ?? new Uint8Array(0) }, credentials);
}

async function verifyFields(fields: SignedFields, credentials: MangoCredentials): Promise<Verdict> {
  const key = fields.key;
  const sign = fields.sign?.trim();
  if (!key) return { ok: false, reason: 'missing vpbx_api_key' };
  if (!sign) return { ok: false, reason: 'missing sign' };
  const [keyOk, signOk] = await Promise.all([timingSafeEqual(key, credentials.key), timingSafeEqual(sign.toLowerCase(), mangoSign(credentials, fields.json))]);
  if (!keyOk) return { ok: false, reason: 'vpbx_api_key is not the configured account (MANGO_API_KEY)' };
  if (!signOk) return { ok: false, reason: 'sign does not match the json field (check MANGO_API_SALT)' };
  return { ok: true };
}
