/**
 * Mango Office signs every request with `sign = sha256hex(vpbx_api_key + json + vpbx_api_salt)`
 * over the `json` form field exactly as sent, and names the account in `vpbx_api_key`
 * (MANGO_API_KEY / MANGO_API_SALT). Both are compared in constant time.
 * @module
 */
import { timingSafeEqual } from 'hono/utils/buffer';
import { sha256Hex } from '../../lib/crypto';
import type { Verdict } from '../webhook';

export interface MangoCredentials {
  key: string;
  salt: string;
}

export function mangoSign(credentials: MangoCredentials, json: string): string {
  return sha256Hex(`${credentials.key}${json}${credentials.salt}`);
}

export async function verifyMangoRequest(fields: URLSearchParams, credentials: MangoCredentials): Promise<Verdict> {
  const key = fields.get('vpbx_api_key');
  const sign = fields.get('sign')?.trim();
  if (!key) return { ok: false, reason: 'missing vpbx_api_key' };
  if (!sign) return { ok: false, reason: 'missing sign' };
  const [keyOk, signOk] = await Promise.all([
    timingSafeEqual(key, credentials.key),
    timingSafeEqual(sign.toLowerCase(), mangoSign(credentials, fields.get('json') ?? '')),
  ]);
  if (!keyOk) return { ok: false, reason: 'vpbx_api_key is not the configured account (MANGO_API_KEY)' };
  if (!signOk) return { ok: false, reason: 'sign does not match the json field (check MANGO_API_SALT)' };
  return { ok: true };
}
