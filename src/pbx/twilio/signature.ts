/**
 * Twilio's request signature: `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, URL + the POST
 * parameters sorted by name, each name followed by its value)). The URL is the one configured in
 * Twilio, query included — behind a proxy that is PUBLIC_URL's origin, not ours.
 *
 * Pitfalls handled the way Twilio's own helper libraries handle them:
 * - Twilio's back end is inconsistent about the port: the URL is tried as is, without its port,
 *   and with the scheme's standard port (":443"/":80") added;
 * - Twilio signs an apostrophe in the query unescaped, while URL parsers send "%27";
 * - a parameter sent several times contributes each distinct value once, sorted.
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { timingSafeEqual } from 'hono/utils/buffer';
import type { Verdict } from '../webhook';

export const SIGNATURE_HEADER = 'X-Twilio-Signature';

/** The string Twilio signs: URL, then every parameter name and value in name order. */
export function signedPayload(url: string, params: Iterable<readonly [string, string]>): string {
  const byName = new Map<string, Set<string>>();
  for (const [name, value] of params) {
    let values = byName.get(name);
    if (!values) byName.set(name, (values = new Set()));
    values.add(value);
  }
  let data = url;
  // Plain code-unit order, which for Twilio's ASCII names is the case-sensitive "Unix" order.
  for (const name of [...byName.keys()].sort()) {
    for (const value of [...(byName.get(name) ?? [])].sort()) data += name + value;
  }
  return data;
}

export function twilioSignature(authToken: string, url: string, params: Iterable<readonly [string, string]>): string {
  const mac = hmac(sha1, utf8ToBytes(authToken), utf8ToBytes(signedPayload(url, params)));
  let binary = '';
  for (const byte of mac) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Every spelling of the URL Twilio may have signed. */
export function candidateUrls(url: URL): string[] {
  const withoutPort = new URL(url.href);
  withoutPort.port = '';
  const spellings = [url.href, withoutPort.href];
  // URL drops a standard port when it is written, so "as configured" may have had one.
  if (!url.port) spellings.push(`${url.protocol}//${url.host}:${url.protocol === 'https:' ? 443 : 80}${url.pathname}${url.search}`);
  const all = new Set<string>();
  for (const spelling of spellings) {
    all.add(spelling);
    all.add(spelling.replace(/%27/g, "'"));
  }
  return [...all];
}

/**
 * Checks the header against the auth token. `authTokens` may hold two tokens separated by a comma
 * (the primary and the secondary while Twilio rotates them).
 */
export async function verifyTwilioSignature(
  header: string | undefined,
  url: URL,
  params: readonly (readonly [string, string])[],
  authTokens: string,
): Promise<Verdict> {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  if (!/^[A-Za-z0-9+/]{27}=$/.test(header.trim())) {
    return { ok: false, reason: `malformed ${SIGNATURE_HEADER} header: expected base64 of an HMAC-SHA1` };
  }
  const tokens = authTokens.split(',').map((t) => t.trim()).filter(Boolean);
  for (const token of tokens) {
    for (const candidate of candidateUrls(url)) {
      if (await timingSafeEqual(header.trim(), twilioSignature(token, candidate, params))) return { ok: true };
    }
  }
  return { ok: false, reason: `${SIGNATURE_HEADER} does not match this URL and body (is PUBLIC_URL the URL configured in Twilio?)` };
}
