/**
 * mod_json_cdr can only authenticate with HTTP auth (its `cred` and `auth-scheme` parameters):
 * calltrail takes Basic, `Authorization: Basic base64(user:pass)`, against FREESWITCH_BASIC_AUTH
 * ("user:pass"), compared in constant time.
 * @module
 */
import { timingSafeEqual } from 'hono/utils/buffer';
import type { Verdict } from '../core/webhook';

export const AUTHORIZATION_HEADER = 'Authorization';

/** "user:pass" from a Basic header; null when the header is something else. */
export function basicCredentials(header: string): string | null {
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!match?.[1]) return null;
  try {
    const binary = atob(match[1]);
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

export async function verifyBasicAuth(header: string | undefined, expected: string): Promise<Verdict> {
  if (!header) return { ok: false, reason: `missing ${AUTHORIZATION_HEADER} header: set cred (and auth-scheme basic) in json_cdr.conf` };
  const given = basicCredentials(header);
  if (given === null) return { ok: false, reason: `malformed ${AUTHORIZATION_HEADER} header: expected Basic <base64 of user:pass>` };
  return (await timingSafeEqual(given, expected)) ? { ok: true } : { ok: false, reason: 'wrong user or password' };
}
